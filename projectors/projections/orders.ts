/**
 * Orders: one row per order, from its `order-{id}` stream and its `payment-{id}` stream, with a
 * timeline of what happened when. The row keeps the revision of each stream it reflects, so an
 * event at or below it (a replay) changes nothing.
 */
import type { ShopEvent, OrderEvent, PaymentEvent } from '../../domain';
import { InconsistentEventError, type ProjectedEvent, type Projection } from '../framework/types';
import { applyToRows, domainEvents, handlesTypes, json } from './support';

export interface TimelineEntry {
  type: string;
  at: string;
  stream: 'order' | 'payment';
  revision: number;
}

export interface OrderRow {
  order_id: string;
  customer_id: string;
  status: 'placed' | 'cancellation_requested' | 'confirmed' | 'cancelled';
  lines: unknown;
  total_amount: number;
  currency: string;
  payment_status: 'pending' | 'authorized' | 'declined' | 'timed_out' | 'captured' | 'voided' | 'refunded';
  payment_reference: string | null;
  payment_decline_reason: string | null;
  cancellation_reason: string | null;
  cancellation_sku: string | null;
  placed_at: Date | string;
  cancellation_requested_at: Date | string | null;
  confirmed_at: Date | string | null;
  cancelled_at: Date | string | null;
  updated_at: Date | string;
  timeline: TimelineEntry[];
  order_revision: number;
  payment_revision: number;
  last_position: string;
}

const handled = [
  'OrderPlaced',
  'OrderConfirmed',
  'OrderCancellationRequested',
  'OrderCancelled',
  'PaymentAuthorized',
  'PaymentDeclined',
  'PaymentCaptured',
  'PaymentVoided',
  'PaymentRefunded',
  'PaymentTimedOut',
] as const;

type Handled = Extract<ShopEvent, { type: (typeof handled)[number] }>;

export const ordersProjection: Projection<ShopEvent> = {
  name: 'orders',
  streamPrefixes: ['order-', 'payment-'],
  handles: handlesTypes(handled),
  ...domainEvents,
  apply: applyToRows<Handled, OrderRow, 'order_id'>({
    table: 'orders',
    key: 'order_id',
    keyOf: ({ event }) => event.data.orderId,
    evolve: evolveRow,
    toRecord: (row) => ({ ...row, lines: json(row.lines), timeline: json(row.timeline) }),
  }),
};

/** The row after `projected`, or undefined when the event changes nothing (already applied). */
function evolveRow(row: OrderRow | undefined, projected: ProjectedEvent<Handled>): OrderRow | undefined {
  const { event, revision, position } = projected;
  const rev = Number(revision);
  if (event.type === 'OrderPlaced') {
    if (row) return undefined;
    const { orderId, customerId, lines, total, placedAt } = event.data;
    return {
      order_id: orderId,
      customer_id: customerId,
      status: 'placed',
      lines,
      total_amount: total.amount,
      currency: total.currency,
      payment_status: 'pending',
      payment_reference: null,
      payment_decline_reason: null,
      cancellation_reason: null,
      cancellation_sku: null,
      placed_at: placedAt,
      cancellation_requested_at: null,
      confirmed_at: null,
      cancelled_at: null,
      updated_at: placedAt,
      timeline: [{ type: event.type, at: placedAt, stream: 'order', revision: rev }],
      order_revision: rev,
      payment_revision: -1,
      last_position: position.commit.toString(),
    };
  }
  if (!row) throw new InconsistentEventError(projected, `${event.type} for order ${event.data.orderId}, which was never placed`);
  const stream = event.type.startsWith('Payment') ? 'payment' : 'order';
  if (rev <= (stream === 'order' ? row.order_revision : row.payment_revision)) return undefined;

  const at = timeOf(event);
  const next: OrderRow = {
    ...row,
    ...changesFor(event),
    updated_at: at,
    timeline: [...row.timeline, { type: event.type, at, stream, revision: rev }],
    last_position: position.commit.toString(),
  };
  if (stream === 'order') next.order_revision = rev;
  else next.payment_revision = rev;
  return next;
}

function changesFor(event: Exclude<Handled, { type: 'OrderPlaced' }>): Partial<OrderRow> {
  switch (event.type) {
    case 'OrderConfirmed':
      return { status: 'confirmed', confirmed_at: event.data.confirmedAt };
    case 'OrderCancellationRequested':
      return { status: 'cancellation_requested', cancellation_requested_at: event.data.requestedAt };
    case 'OrderCancelled':
      return {
        status: 'cancelled',
        cancelled_at: event.data.cancelledAt,
        cancellation_reason: event.data.reason,
        cancellation_sku: event.data.reason === 'out_of_stock' ? event.data.sku : null,
      };
    case 'PaymentAuthorized':
      return { payment_status: 'authorized', payment_reference: event.data.providerReference };
    case 'PaymentDeclined':
      return { payment_status: 'declined', payment_decline_reason: event.data.reason };
    case 'PaymentCaptured':
      return { payment_status: 'captured', payment_reference: event.data.providerReference };
    case 'PaymentVoided':
      return { payment_status: 'voided' };
    case 'PaymentRefunded':
      return { payment_status: 'refunded' };
    case 'PaymentTimedOut':
      return { payment_status: 'timed_out' };
  }
}

/** The business time an order or payment event carries. */
export function timeOf(event: OrderEvent | PaymentEvent): string {
  switch (event.type) {
    case 'OrderPlaced':
      return event.data.placedAt;
    case 'OrderConfirmed':
      return event.data.confirmedAt;
    case 'OrderCancellationRequested':
      return event.data.requestedAt;
    case 'OrderCancelled':
      return event.data.cancelledAt;
    case 'PaymentAuthorized':
      return event.data.authorizedAt;
    case 'PaymentDeclined':
      return event.data.declinedAt;
    case 'PaymentCaptured':
      return event.data.capturedAt;
    case 'PaymentVoided':
      return event.data.voidedAt;
    case 'PaymentRefunded':
      return event.data.refundedAt;
    case 'PaymentTimedOut':
      return event.data.timedOutAt;
  }
  throw new Error(`no time in ${(event as { type: string }).type}`);
}
