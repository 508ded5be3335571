import { z } from 'zod';
import { eventCodec, eventReader, eventTypeNames, schemaVersionsOf, type EventOf } from '../shared/events';
import { Money } from '../shared/money';
import { CustomerId, OrderId, Quantity, Sku, Timestamp } from '../shared/values';

export const OrderLine = z.object({ sku: Sku, quantity: Quantity, unitPrice: Money });
export type OrderLine = z.output<typeof OrderLine>;

/** The payment provider's token for the customer's card; opaque to the shop. */
export const PaymentToken = z.string().min(1).max(500);

const cancelled = z.object({ orderId: OrderId, cancelledAt: Timestamp });
/** Why an order was cancelled; `out_of_stock` names the SKU that could not be reserved. */
export const OrderCancellation = z.discriminatedUnion('reason', [
  cancelled.extend({ reason: z.literal('out_of_stock'), sku: Sku }),
  cancelled.extend({ reason: z.literal('payment_declined') }),
  cancelled.extend({ reason: z.literal('payment_timed_out') }),
  cancelled.extend({ reason: z.literal('customer_request') }),
]);
export type OrderCancellation = z.output<typeof OrderCancellation>;
export type CancellationReason = OrderCancellation['reason'];

export const OrderPlacedData = z.object({
  orderId: OrderId,
  customerId: CustomerId,
  lines: z.array(OrderLine).min(1).max(50),
  /** Sum of quantity × unit price over the lines, in their one currency. */
  total: Money,
  paymentToken: PaymentToken,
  placedAt: Timestamp,
});
export const OrderConfirmedData = z.object({ orderId: OrderId, confirmedAt: Timestamp });
export const OrderCancellationRequestedData = z.object({ orderId: OrderId, requestedBy: CustomerId, requestedAt: Timestamp });
export const OrderCancelledData = OrderCancellation;

export const orderEvents = {
  OrderPlaced: { schemaVersion: 1, data: OrderPlacedData },
  OrderConfirmed: { schemaVersion: 1, data: OrderConfirmedData },
  OrderCancellationRequested: { schemaVersion: 1, data: OrderCancellationRequestedData },
  OrderCancelled: { schemaVersion: 1, data: OrderCancelledData },
} as const;

export type OrderEvent = EventOf<typeof orderEvents>;
export type OrderEventType = OrderEvent['type'];
export const OrderEventType = eventTypeNames(orderEvents);
export const orderSchemaVersion = schemaVersionsOf(orderEvents);
/** How these events are written (the current schema version) and read back (upcast, validated). */
export const orderCodec = eventCodec(orderEvents);
/** Stored `{ type, data, schemaVersion }` → typed event; throws EventSchemaError when it cannot. */
export const readOrderEvent = eventReader(orderEvents);
