/**
 * The payment provider as the saga sees it. Every call carries an idempotency key derived from the
 * order and the step, so a call repeated after a crash or a timeout has no second effect: the
 * provider answers it with the result of the first. An authorization is named by the key it was
 * requested with, so the saga can void or refund an authorization whose answer it never received.
 */
import type { Money } from '../../domain';

export type AuthorizationAnswer = { result: 'approved'; authorizationId: string } | { result: 'declined'; reason: string };
export type CaptureAnswer = { result: 'captured' } | { result: 'refused'; reason: string };
export type VoidAnswer =
  { result: 'voided'; authorizationId: string } | { result: 'nothing_to_void' } | { result: 'refused'; reason: string };
export type RefundAnswer = { result: 'refunded'; authorizationId: string } | { result: 'nothing_to_refund' };

export interface PaymentProvider {
  authorize(request: { idempotencyKey: string; token: string; amount: Money }, signal?: AbortSignal): Promise<AuthorizationAnswer>;
  capture(request: { authorizationKey: string; idempotencyKey: string }, signal?: AbortSignal): Promise<CaptureAnswer>;
  void(request: { authorizationKey: string; idempotencyKey: string }, signal?: AbortSignal): Promise<VoidAnswer>;
  refund(request: { authorizationKey: string; idempotencyKey: string }, signal?: AbortSignal): Promise<RefundAnswer>;
}

/** The provider is unavailable, slow, or answered 5xx: the same call may succeed later. */
export class TransientPaymentError extends Error {
  override readonly name = 'TransientPaymentError';
}
