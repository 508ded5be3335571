/** The PaymentProvider port over HTTP, speaking the sandbox's API (saga/payment-sandbox/server.ts). */
import { TransientPaymentError, type AuthorizationAnswer, type CaptureAnswer, type PaymentProvider, type RefundAnswer, type VoidAnswer } from './port';

export interface HttpPaymentProviderOptions {
  baseUrl: string;
  /** A call not answered within this is abandoned as a transient failure. */
  timeoutMs: number;
}

export function httpPaymentProvider({ baseUrl, timeoutMs }: HttpPaymentProviderOptions): PaymentProvider {
  async function call<T>(path: string, idempotencyKey: string, body: unknown, accept: readonly number[], signal?: AbortSignal): Promise<T> {
    const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
    let response: Response;
    try {
      response = await fetch(new URL(path, baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      throw new TransientPaymentError(`payment provider did not answer ${path}: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text().catch(() => '');
    if (!accept.includes(response.status)) {
      if (response.status >= 500 || response.status === 429 || response.status === 408) {
        throw new TransientPaymentError(`payment provider answered ${response.status} to ${path}`);
      }
      throw new Error(`payment provider answered ${response.status} to ${path}: ${text.slice(0, 200)}`);
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
