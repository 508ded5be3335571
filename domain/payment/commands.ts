import { z } from 'zod';
import { Currency } from '../shared/money';
import { OrderId, Timestamp } from '../shared/values';
import { DeclineReason, PaymentAmount, ProviderReference } from './events';

/*
 * The saga talks to the payment provider; these commands record what the provider answered, so
 * the payment's history is in the log and a retried step can tell it has already happened.
 */

export const AuthorizePayment = z.object({
  type: z.literal('AuthorizePayment'),
  data: z.object({
    orderId: OrderId,
    amount: PaymentAmount,
    currency: Currency,
    providerReference: ProviderReference,
    authorizedAt: Timestamp,
  }),
});
export const RecordPaymentDeclined = z.object({
  type: z.literal('RecordPaymentDeclined'),
  data: z.object({ orderId: OrderId, reason: DeclineReason, declinedAt: Timestamp }),
});
export const CapturePayment = z.object({
  type: z.literal('CapturePayment'),
  data: z.object({ orderId: OrderId, capturedAt: Timestamp }),
});
export const VoidPayment = z.object({
  type: z.literal('VoidPayment'),
  data: z.object({
    orderId: OrderId,
    voidedAt: Timestamp,
    /**
     * After a timeout the shop never learnt the authorization's reference; the provider names it
     * when it voids it. Ignored once the payment is authorized (its own reference is used).
     */
    providerReference: ProviderReference.optional(),
  }),
});
export const RecordPaymentTimedOut = z.object({
  type: z.literal('RecordPaymentTimedOut'),
  data: z.object({ orderId: OrderId, timedOutAt: Timestamp }),
});
export const RefundPayment = z.object({
  type: z.literal('RefundPayment'),
  data: z.object({ orderId: OrderId, refundedAt: Timestamp }),
});

export const PaymentCommand = z.discriminatedUnion('type', [
  AuthorizePayment,
  RecordPaymentDeclined,
  CapturePayment,
  VoidPayment,
  RefundPayment,
  RecordPaymentTimedOut,
]);
export type PaymentCommand = z.output<typeof PaymentCommand>;
export type PaymentCommandType = PaymentCommand['type'];
