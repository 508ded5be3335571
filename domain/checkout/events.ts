import { z } from 'zod';
import { eventCodec, eventReader, eventTypeNames, schemaVersionsOf, type EventOf } from '../shared/events';
import { Money } from '../shared/money';
import { CustomerId, OrderId, Quantity, Sku, Timestamp } from '../shared/values';
import { OrderLine, PaymentToken } from '../order/events';

/** What undoes a step; registered before the step runs, run in reverse order on failure. */
export const Compensation = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cancel_order') }),
  z.object({ kind: z.literal('release_stock'), sku: Sku }),
  z.object({ kind: z.literal('void_payment') }),
  z.object({ kind: z.literal('refund_payment') }),
]);
export type Compensation = z.output<typeof Compensation>;

/** Why a checkout gave up; the order is cancelled with the same reason (`out_of_stock` names the SKU). */
export const CompensationReason = z.discriminatedUnion('reason', [
  z.object({ reason: z.literal('out_of_stock'), sku: Sku }),
  z.object({ reason: z.literal('payment_declined') }),
  z.object({ reason: z.literal('payment_timed_out') }),
  z.object({ reason: z.literal('customer_request') }),
]);
export type CompensationReason = z.output<typeof CompensationReason>;

export const DeadlineName = z.enum(['payment', 'checkout']);
export type DeadlineName = z.output<typeof DeadlineName>;

const Milliseconds = z.number().int().positive();
const at = Timestamp;

export const checkoutEvents = {
  /**
   * The saga took the order on, with the deadlines it will keep (config at that moment). It also
   * registers the compensation that undoes the whole checkout (cancel the order) and schedules the
   * checkout deadline (`checkoutDeadline`). Each step's start event likewise registers that
   * step's compensation (and schedules its deadline) itself, so the compensation is durable in
   * the same record that starts the step.
   */
  CheckoutStarted: {
    schemaVersion: 1,
    data: z.object({
      orderId: OrderId,
      customerId: CustomerId,
      lines: z.array(OrderLine).min(1),
      total: Money,
      paymentToken: PaymentToken,
      paymentDeadlineMs: Milliseconds,
      checkoutDeadline: at,
      startedAt: at,
    }),
  },
  DeadlineFired: { schemaVersion: 1, data: z.object({ orderId: OrderId, deadline: DeadlineName, firedAt: at }) },

  /** Registers the compensation `release_stock` for this line , then the reservation runs. */
  StockReservationRequested: { schemaVersion: 1, data: z.object({ orderId: OrderId, sku: Sku, quantity: Quantity, requestedAt: at }) },
  StockReservedForLine: { schemaVersion: 1, data: z.object({ orderId: OrderId, sku: Sku, quantity: Quantity, reservedAt: at }) },
  StockReservationRejectedForLine: {
    schemaVersion: 1,
    data: z.object({ orderId: OrderId, sku: Sku, quantity: Quantity, available: z.number().int().min(0), rejectedAt: at }),
  },

  /** Registers the compensation `void_payment` and schedules the payment deadline (`paymentDeadline`). */
  PaymentAuthorizationStarted: {
    schemaVersion: 1,
    data: z.object({ orderId: OrderId, amount: Money, idempotencyKey: z.string().min(1), paymentDeadline: at, startedAt: at }),
  },
  PaymentAuthorizationApproved: {
    schemaVersion: 1,
    data: z.object({ orderId: OrderId, providerReference: z.string().min(1), approvedAt: at }),
  },
  PaymentAuthorizationDeclined: { schemaVersion: 1, data: z.object({ orderId: OrderId, reason: z.string().min(1), declinedAt: at }) },
  /** Registers the compensation `refund_payment`. */
  PaymentCaptureStarted: { schemaVersion: 1, data: z.object({ orderId: OrderId, idempotencyKey: z.string().min(1), startedAt: at }) },
  PaymentCaptureCompleted: { schemaVersion: 1, data: z.object({ orderId: OrderId, capturedAt: at }) },
  PaymentCaptureRefused: { schemaVersion: 1, data: z.object({ orderId: OrderId, reason: z.string().min(1), refusedAt: at }) },

  /** Confirming the order and committing its stock: one step, each part idempotent. */
  OrderConfirmationRequested: { schemaVersion: 1, data: z.object({ orderId: OrderId, requestedAt: at }) },
  OrderConfirmationRefused: { schemaVersion: 1, data: z.object({ orderId: OrderId, code: z.string().min(1), refusedAt: at }) },

  /** The customer's cancellation request reached the checkout. */
  CancellationRequested: { schemaVersion: 1, data: z.object({ orderId: OrderId, requestedAt: at }) },
  CheckoutCompensationStarted: { schemaVersion: 1, data: z.object({ orderId: OrderId, why: CompensationReason, startedAt: at }) },
  CompensationCompleted: {
    schemaVersion: 1,
    data: z.object({ orderId: OrderId, compensation: Compensation, note: z.string().optional(), completedAt: at }),
  },
  /** A transient failure (provider down, event store unavailable): recorded, and retried after a backoff. */
  CompensationFailed: {
    schemaVersion: 1,
    data: z.object({ orderId: OrderId, compensation: Compensation, attempt: z.number().int().positive(), error: z.string(), failedAt: at }),
  },

  CheckoutCompleted: { schemaVersion: 1, data: z.object({ orderId: OrderId, completedAt: at }) },
  CheckoutCompensated: { schemaVersion: 1, data: z.object({ orderId: OrderId, why: CompensationReason, compensatedAt: at }) },
} as const;

export type CheckoutEvent = EventOf<typeof checkoutEvents>;
export type CheckoutEventType = CheckoutEvent['type'];
export const CheckoutEventType = eventTypeNames(checkoutEvents);
export const checkoutSchemaVersion = schemaVersionsOf(checkoutEvents);
/** How these events are written (the current schema version) and read back (upcast, validated). */
export const checkoutCodec = eventCodec(checkoutEvents);
export const readCheckoutEvent = eventReader(checkoutEvents);

export type { Quantity };
