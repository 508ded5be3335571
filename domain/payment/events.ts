import { z } from 'zod';
import { eventCodec, eventReader, eventTypeNames, schemaVersionsOf, type EventOf } from '../shared/events';
import { Currency } from '../shared/money';
import { OrderId, Timestamp } from '../shared/values';

/** Minor units (cents), like Money.amount; kept beside `currency` so events read `data.amount`. */
export const PaymentAmount = z.number().int('amount must be an integer number of minor units (cents)').positive();
/** The provider's id for the authorization; captures, voids and refunds name it. */
export const ProviderReference = z.string().min(1).max(200);
/** The provider's decline code or message, kept for support and the customer's timeline. */
export const DeclineReason = z.string().min(1).max(500);

export const PaymentAuthorizedData = z.object({
  orderId: OrderId,
  amount: PaymentAmount,
  currency: Currency,
  providerReference: ProviderReference,
  authorizedAt: Timestamp,
});
export const PaymentDeclinedData = z.object({ orderId: OrderId, reason: DeclineReason, declinedAt: Timestamp });
export const PaymentCapturedData = z.object({
  orderId: OrderId,
  amount: PaymentAmount,
  currency: Currency,
  providerReference: ProviderReference,
  capturedAt: Timestamp,
});
export const PaymentVoidedData = z.object({ orderId: OrderId, providerReference: ProviderReference, voidedAt: Timestamp });
/**
 * The provider did not answer the authorization before the checkout's payment deadline. Whatever
 * it may still have authorized is voided next (PaymentVoided), so the customer is never charged.
 */
export const PaymentTimedOutData = z.object({ orderId: OrderId, timedOutAt: Timestamp });
export const PaymentRefundedData = z.object({
  orderId: OrderId,
  amount: PaymentAmount,
  currency: Currency,
  providerReference: ProviderReference,
  refundedAt: Timestamp,
});

export const paymentEvents = {
  PaymentAuthorized: { schemaVersion: 1, data: PaymentAuthorizedData },
  PaymentDeclined: { schemaVersion: 1, data: PaymentDeclinedData },
  PaymentCaptured: { schemaVersion: 1, data: PaymentCapturedData },
  PaymentVoided: { schemaVersion: 1, data: PaymentVoidedData },
  PaymentRefunded: { schemaVersion: 1, data: PaymentRefundedData },
  PaymentTimedOut: { schemaVersion: 1, data: PaymentTimedOutData },
} as const;

export type PaymentEvent = EventOf<typeof paymentEvents>;
export type PaymentEventType = PaymentEvent['type'];
export const PaymentEventType = eventTypeNames(paymentEvents);
export const paymentSchemaVersion = schemaVersionsOf(paymentEvents);
/** How these events are written (the current schema version) and read back (upcast, validated). */
export const paymentCodec = eventCodec(paymentEvents);
/** Stored `{ type, data, schemaVersion }` → typed event; throws EventSchemaError when it cannot. */
export const readPaymentEvent = eventReader(paymentEvents);
