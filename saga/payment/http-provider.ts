/** The PaymentProvider port over HTTP, speaking the sandbox's API (saga/payment-sandbox/server.ts). */
import { Pool } from 'undici';
import {
  TransientPaymentError,
  type AuthorizationAnswer,
  type CaptureAnswer,
  type PaymentProvider,
  type RefundAnswer,
  type VoidAnswer,
} from './port';

export interface HttpPaymentProviderOptions {
  baseUrl: string;
  /** The provider's key (PAYMENT_SANDBOX_KEY), sent as `Authorization: Bearer <key>` on every call. */
  key: string;
  /** A call whose answer (its headers, then its body) does not come within this is abandoned as a transient failure. */
  timeoutMs: number;
}

export interface HttpPaymentProvider extends PaymentProvider {
  /** Closes the kept-alive connections, abandoning calls still waiting (their steps run again on redelivery). */
  close(): Promise<void>;
}

/** One POST to the provider: where, under which idempotency key, with what JSON body. */
interface ProviderRequest {
  path: string;
  idempotencyKey: string;
  body: unknown;
}

/**
 * Uses undici's connection pool rather than `fetch` or `node:http`: two calls per checkout, and
 * per call `fetch` costs several times the CPU (streams, signals, the Response object) and
 * `node:http` about a third more (saga CPU profiles at ~200 checkouts/s, docs/BENCHMARKS.md).
 */
export function httpPaymentProvider({ baseUrl, key, timeoutMs }: HttpPaymentProviderOptions): HttpPaymentProvider {
  const authorization = `Bearer ${key}`;
  const url = new URL(baseUrl);
  const pool = new Pool(url.origin, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const prefix = url.pathname.replace(/\/$/, '');

  /** POSTs the request; resolves with the status and body text, rejects when there is no complete answer. */
  async function post({ path, idempotencyKey, body }: ProviderRequest, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    const response = await pool.request({
      method: 'POST',
      path: `${prefix}${path}`,
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, authorization },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
    return { status: response.statusCode, text: await response.body.text() };
  }

  async function call<T>(request: ProviderRequest, accept: readonly number[], signal?: AbortSignal): Promise<T> {
    const { path } = request;
    let answer: { status: number; text: string };
    try {
      answer = await post(request, signal);
    } catch (error) {
      throw new TransientPaymentError(`payment provider did not answer ${path}: ${(error as Error).message}`, { cause: error });
    }
    const { status, text } = answer;
    if (!accept.includes(status)) {
      if (status >= 500 || status === 429 || status === 408) {
        throw new TransientPaymentError(`payment provider answered ${status} to ${path}`);
      }
      throw new Error(`payment provider answered ${status} to ${path}: ${text.slice(0, 200)}`);
    }
    return JSON.parse(text) as T;
  }
  const encoded = (key: string) => encodeURIComponent(key);

  return {
    close: () => pool.destroy(),
    authorize: ({ idempotencyKey, token, amount }, signal) =>
      call<AuthorizationAnswer>(
        { path: '/v1/authorizations', idempotencyKey, body: { token, amount: amount.amount, currency: amount.currency } },
        [200, 201, 402],
        signal,
      ),
    capture: ({ authorizationKey, idempotencyKey }, signal) =>
      call<CaptureAnswer>(
        { path: `/v1/authorizations/${encoded(authorizationKey)}/capture`, idempotencyKey, body: {} },
        [200, 409],
        signal,
      ),
    void: ({ authorizationKey, idempotencyKey }, signal) =>
      call<VoidAnswer>({ path: `/v1/authorizations/${encoded(authorizationKey)}/void`, idempotencyKey, body: {} }, [200, 409], signal),
    refund: ({ authorizationKey, idempotencyKey }, signal) =>
      call<RefundAnswer>({ path: `/v1/authorizations/${encoded(authorizationKey)}/refund`, idempotencyKey, body: {} }, [200], signal),
  };
}
