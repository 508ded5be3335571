import { z } from 'zod';
import { CustomerId, OrderId, Timestamp, withoutControlCharacters } from '../shared/values';
import { OrderCancellation, OrderLine, PaymentToken } from './events';

/** A payment token a new order may carry (stricter than OrderPlaced's, which must read every event already written). */
export const NewPaymentToken = withoutControlCharacters(PaymentToken, 'payment token');

export const PlaceOrder = z.object({
  type: z.literal('PlaceOrder'),
  data: z.object({
    orderId: OrderId,
    customerId: CustomerId,
    lines: z.array(OrderLine).min(1, 'an order needs at least one line').max(50, 'an order has at most 50 lines'),
    paymentToken: NewPaymentToken,
    placedAt: Timestamp,
  }),
});
export const ConfirmOrder = z.object({
  type: z.literal('ConfirmOrder'),
  data: z.object({ orderId: OrderId, confirmedAt: Timestamp }),
});
/** The customer asks; the checkout saga decides when the order is actually cancelled. */
export const RequestOrderCancellation = z.object({
  type: z.literal('RequestOrderCancellation'),
  data: z.object({ orderId: OrderId, requestedBy: CustomerId, requestedAt: Timestamp }),
});
export const CancelOrder = z.object({
  type: z.literal('CancelOrder'),
  data: OrderCancellation,
});

export const OrderCommand = z.discriminatedUnion('type', [PlaceOrder, ConfirmOrder, RequestOrderCancellation, CancelOrder]);
export type OrderCommand = z.output<typeof OrderCommand>;
export type OrderCommandType = OrderCommand['type'];
