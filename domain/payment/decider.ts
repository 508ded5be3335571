/**
 * The payment for one order (stream `payment-{orderId}`):
 *
 *   (none) ─▶ declined
 *   (none) ─▶ authorized ─▶ captured ─▶ refunded
 *                        └▶ voided
 *   (none) ─▶ timed out ─▶ (voided at the provider, if it had authorized after all)
 *
 * The checkout saga retries every step until it is sure it happened, so repeating a step that has
 * already happened is a no-op (no events, no error): recording the same authorization again,
 * recording a decline again, capturing a captured (or since refunded) payment, voiding a voided
 * one, refunding a refunded one. A step that contradicts what happened — capturing a voided
 * payment, voiding a captured one, a second, different authorization — is a DomainError: the
 * saga must compensate differently, and retrying cannot help.
 */
import { validated } from '../shared/decider';
import { DomainError } from '../shared/errors';
import type { Currency } from '../shared/money';
import type { OrderId } from '../shared/values';
import { PaymentCommand } from './commands';
import type { PaymentEvent } from './events';

export type PaymentState =
  | { readonly status: 'none' }
  | { readonly status: 'declined'; readonly orderId: OrderId; readonly reason: string }
  /** No answer before the deadline; `voidedReference` once the provider voided what it had authorized. */
  | { readonly status: 'timed_out'; readonly orderId: OrderId; readonly voidedReference?: string }
  | {
      readonly status: 'authorized' | 'captured' | 'voided' | 'refunded';
      readonly orderId: OrderId;
      readonly amount: number;
      readonly currency: Currency;
      readonly providerReference: string;
    };

export function initialState(): PaymentState {
  return { status: 'none' };
}

export function decide(command: PaymentCommand, state: PaymentState): PaymentEvent[] {
  const { type, data } = validated(PaymentCommand, command);
  if (state.status !== 'none' && state.orderId !== data.orderId) {
    throw new Error(`${type} for order ${data.orderId} was run against the payment stream of order ${state.orderId}`);
  }

  switch (type) {
    case 'AuthorizePayment': {
      if (state.status === 'none') return [{ type: 'PaymentAuthorized', data }];
      // A late answer after the deadline: the saga has given up on it and voids it instead.
      if (state.status === 'timed_out')
        throw new DomainError('payment_already_processed', `the payment for order ${data.orderId} timed out`);
      const sameAuthorization =
        state.status !== 'declined' &&
        state.providerReference === data.providerReference &&
        state.amount === data.amount &&
        state.currency === data.currency;
      if (sameAuthorization) return [];
      throw new DomainError('payment_already_processed', `the payment for order ${data.orderId} is already ${state.status}`);
    }

    case 'RecordPaymentDeclined': {
      if (state.status === 'none') return [{ type: 'PaymentDeclined', data }];
      if (state.status === 'declined') return [];
      throw new DomainError('payment_already_processed', `the payment for order ${data.orderId} is already ${state.status}`);
    }

    case 'CapturePayment': {
      if (state.status === 'captured' || state.status === 'refunded') return [];
      if (state.status === 'voided') throw new DomainError('payment_voided', `the payment for order ${data.orderId} was voided`);
      if (state.status !== 'authorized') throw notAuthorized(data.orderId);
      const { amount, currency, providerReference } = state;
      return [
        { type: 'PaymentCaptured', data: { orderId: data.orderId, amount, currency, providerReference, capturedAt: data.capturedAt } },
      ];
    }

    case 'VoidPayment': {
      if (state.status === 'voided') return [];
      if (state.status === 'timed_out') {
        // Nothing was authorized (the provider named no authorization), or it is already voided.
        if (state.voidedReference !== undefined || data.providerReference === undefined) return [];
        return [
          { type: 'PaymentVoided', data: { orderId: data.orderId, providerReference: data.providerReference, voidedAt: data.voidedAt } },
        ];
      }
      // Captured money has left the customer's card: it comes back by refund, not void.
      if (state.status === 'captured' || state.status === 'refunded') {
        throw new DomainError('payment_already_captured', `the payment for order ${data.orderId} was captured; refund it instead`);
      }
      if (state.status !== 'authorized') throw notAuthorized(data.orderId);
      return [
        { type: 'PaymentVoided', data: { orderId: data.orderId, providerReference: state.providerReference, voidedAt: data.voidedAt } },
      ];
    }

    case 'RefundPayment': {
      if (state.status === 'refunded') return [];
      // Only captured money can be refunded; an authorization is released by voiding it.
      if (state.status !== 'captured') {
        throw new DomainError('payment_not_captured', `the payment for order ${data.orderId} is ${state.status}, not captured`);
      }
      const { amount, currency, providerReference } = state;
      return [
        { type: 'PaymentRefunded', data: { orderId: data.orderId, amount, currency, providerReference, refundedAt: data.refundedAt } },
      ];
    }

    case 'RecordPaymentTimedOut': {
      // An answer that arrived first (authorized, declined) stands: the saga voids or does nothing.
      if (state.status !== 'none') return [];
      return [{ type: 'PaymentTimedOut', data }];
    }
  }
}

export function evolve(state: PaymentState, event: PaymentEvent): PaymentState {
  switch (event.type) {
    case 'PaymentAuthorized': {
      const { orderId, amount, currency, providerReference } = event.data;
      return { status: 'authorized', orderId, amount, currency, providerReference };
    }
    case 'PaymentDeclined':
      return { status: 'declined', orderId: event.data.orderId, reason: event.data.reason };
    case 'PaymentTimedOut':
      return { status: 'timed_out', orderId: event.data.orderId };
  }
  if (state.status === 'timed_out') {
    return event.type === 'PaymentVoided' ? { ...state, voidedReference: event.data.providerReference } : state;
  }
  // Every other event follows PaymentAuthorized: decide refuses them before it.
  if (state.status === 'none' || state.status === 'declined') return state;
  switch (event.type) {
    case 'PaymentCaptured':
      return { ...state, status: 'captured' };
    case 'PaymentVoided':
      return { ...state, status: 'voided' };
    case 'PaymentRefunded':
      return { ...state, status: 'refunded' };
  }
}

function notAuthorized(orderId: OrderId): DomainError {
  return new DomainError('payment_not_authorized', `the payment for order ${orderId} has not been authorized`);
}
