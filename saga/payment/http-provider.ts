/** The PaymentProvider port over HTTP, speaking the sandbox's API (saga/payment-sandbox/server.ts). */
import http from 'node:http';
import https from 'node:https';
import { TransientPaymentError, type AuthorizationAnswer, type CaptureAnswer, type PaymentProvider, type RefundAnswer, type VoidAnswer } from './port';

export interface HttpPaymentProviderOptions {
  baseUrl: string;
  /** A call not answered within this is abandoned as a transient failure. */
  timeoutMs: number;
}

/**
 * Uses `node:http` with a keep-alive agent rather than `fetch`: two calls per checkout, and
 * undici's fetch costs several times more CPU per call (streams, signals, the Response object).
 */
export function httpPaymentProvider({ baseUrl, timeoutMs }: HttpPaymentProviderOptions): PaymentProvider {
  const transport = new URL(baseUrl).protocol === 'https:' ? https : http;
  const agent = new transport.Agent({ keepAlive: true });

  /** POSTs `body`; resolves with the status and body text, rejects when there is no complete answer. */
  function post(path: string, idempotencyKey: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = transport.request(new URL(path, baseUrl), {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'idempotency-key': idempotencyKey },
        ...(signal ? { signal } : {}),
      });
      const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      request.on('error', fail);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', fail);
        response.on('aborted', () => fail(new Error('the answer was cut off')));
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      request.end(payload);
    });
  }

  async function call<T>(path: string, idempotencyKey: string, body: unknown, accept: readonly number[], signal?: AbortSignal): Promise<T> {
    let answer: { status: number; text: string };
    try {
      answer = await post(path, idempotencyKey, body, signal);
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
    authorize: ({ idempotencyKey, token, amount }, signal) =>
      call<AuthorizationAnswer>('/v1/authorizations', idempotencyKey, { token, amount: amount.amount, currency: amount.currency }, [200, 201, 402], signal),
    capture: ({ authorizationKey, idempotencyKey }, signal) => call<CaptureAnswer>(`/v1/authorizations/${encoded(authorizationKey)}/capture`, idempotencyKey, {}, [200, 409], signal),
    void: ({ authorizationKey, idempotencyKey }, signal) => call<VoidAnswer>(`/v1/authorizations/${encoded(authorizationKey)}/void`, idempotencyKey, {}, [200, 409], signal),
    refund: ({ authorizationKey, idempotencyKey }, signal) => call<RefundAnswer>(`/v1/authorizations/${encoded(authorizationKey)}/refund`, idempotencyKey, {}, [200], signal),
  };
}
