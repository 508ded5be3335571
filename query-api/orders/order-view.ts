/** An order as the query API shows it, from a row of the `orders` read model. */
import { z } from 'zod';
import { Money, Timestamp, iso } from '../shared/views';

export const orderStatuses = ['placed', 'cancellation_requested', 'confirmed', 'cancelled'] as const;

export const OrderSummary = z
  .object({
    orderId: z.string(),
    customerId: z.string(),
    status: z.enum(orderStatuses),
    total: Money,
    paymentStatus: z.string(),
    cancellationReason: z.string().nullable(),
    lineCount: z.number().int(),
    placedAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'OrderSummary' });

export const Order = z
  .object({
    orderId: z.string(),
    customerId: z.string(),
    status: z.enum(orderStatuses),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int(), unitPrice: Money })),
    total: Money,
    payment: z.object({
      status: z.string().meta({ description: 'pending | authorized | declined | timed_out | captured | voided | refunded' }),
      reference: z.string().nullable(),
      declineReason: z.string().nullable(),
    }),
    cancellation: z
      .object({
        reason: z
          .string()
          .nullable()
          .meta({ description: 'out_of_stock | payment_declined | payment_timed_out | customer_request; null while only requested' }),
        sku: z.string().nullable().meta({ description: 'The SKU that was out of stock.' }),
        requestedAt: Timestamp.nullable(),
        cancelledAt: Timestamp.nullable(),
      })
      .nullable(),
    placedAt: Timestamp,
    confirmedAt: Timestamp.nullable(),
    updatedAt: Timestamp,
    timeline: z.array(z.object({ type: z.string(), at: Timestamp, stream: z.string(), revision: z.number().int() })),
  })
  .meta({ id: 'Order' });

export interface OrderRow {
  order_id: string;
  customer_id: string;
  status: (typeof orderStatuses)[number];
  lines: { sku: string; quantity: number; unitPrice: { amount: number; currency: string } }[];
  total_amount: number;
  currency: string;
  payment_status: string;
  payment_reference: string | null;
  payment_decline_reason: string | null;
  cancellation_reason: string | null;
  cancellation_sku: string | null;
  placed_at: Date;
  cancellation_requested_at: Date | null;
  confirmed_at: Date | null;
  cancelled_at: Date | null;
  updated_at: Date;
  timeline: { type: string; at: string; stream: string; revision: number }[];
}

export interface CustomerOrderRow {
  order_id: string;
  customer_id: string;
  status: (typeof orderStatuses)[number];
  total_amount: number;
  currency: string;
  payment_status: string;
  cancellation_reason: string | null;
  line_count: number;
  placed_at: Date;
  updated_at: Date;
}

export function orderView(row: OrderRow): z.input<typeof Order> {
  const cancellation =
    row.cancellation_requested_at !== null || row.cancelled_at !== null
      ? {
          reason: row.cancellation_reason,
          sku: row.cancellation_sku,
          requestedAt: iso(row.cancellation_requested_at),
          cancelledAt: iso(row.cancelled_at),
        }
      : null;
  return {
    orderId: row.order_id,
    customerId: row.customer_id,
    status: row.status,
    lines: row.lines,
    total: { amount: row.total_amount, currency: row.currency.trim() },
    payment: { status: row.payment_status, reference: row.payment_reference, declineReason: row.payment_decline_reason },
    cancellation,
    placedAt: iso(row.placed_at),
    confirmedAt: iso(row.confirmed_at),
    updatedAt: iso(row.updated_at),
    timeline: row.timeline.map((entry) => ({ ...entry, at: iso(entry.at) })),
  };
}

export function orderSummaryView(row: CustomerOrderRow): z.input<typeof OrderSummary> {
  return {
    orderId: row.order_id,
    customerId: row.customer_id,
    status: row.status,
    total: { amount: row.total_amount, currency: row.currency.trim() },
    paymentStatus: row.payment_status,
    cancellationReason: row.cancellation_reason,
    lineCount: row.line_count,
    placedAt: iso(row.placed_at),
    updatedAt: iso(row.updated_at),
  };
}
