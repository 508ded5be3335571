/** How an order's state is said in the console (customers and staff read the same words). */
import type { Order, OrderSummary } from './api';

export const statusText: Record<Order['status'], string> = {
  placed: 'Being checked out',
  cancellation_requested: 'Cancellation requested',
  confirmed: 'Confirmed',
  cancelled: 'Cancelled',
};

export const cancellationReasonText: Record<string, string> = {
  out_of_stock: 'out of stock',
  payment_declined: 'payment declined',
  payment_timed_out: 'payment timed out',
  customer_request: 'cancelled at your request',
};

export const paymentStatusText: Record<string, string> = {
  pending: 'pending',
  authorized: 'authorized',
  declined: 'declined',
  timed_out: 'timed out',
  captured: 'paid',
  voided: 'voided',
  refunded: 'refunded',
};

export function outcomeText(order: Pick<OrderSummary, 'status' | 'cancellationReason'>): string {
  const status = statusText[order.status];
  if (order.status !== 'cancelled' || !order.cancellationReason) return status;
  return `${status}: ${cancellationReasonText[order.cancellationReason] ?? order.cancellationReason}`;
}

/** A customer may cancel until the checkout has finished. */
export function isCancellable(order: Pick<Order, 'status'>): boolean {
  return order.status === 'placed';
}

export function StatusBadge({ status, testId }: { status: Order['status']; testId?: string }) {
  return (
    <span class={`badge badge-${status}`} data-testid={testId}>
      {statusText[status]}
    </span>
  );
}

/** An order as a summary (what an `order` event carries is the full order). */
export function summaryOf(order: Order): OrderSummary {
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    status: order.status,
    cancellationReason: order.cancellation?.reason ?? null,
    paymentStatus: order.payment.status,
    lineCount: order.lines.length,
    total: order.total,
    placedAt: order.placedAt,
    updatedAt: order.updatedAt,
  };
}

/** Newest state wins: a live event can arrive before an older HTTP answer. */
export function newer<T extends { updatedAt: string }>(a: T | undefined, b: T): T {
  return a && a.updatedAt > b.updatedAt ? a : b;
}
