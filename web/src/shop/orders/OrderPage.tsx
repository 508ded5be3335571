/**
 * One order: status, lines, payment, and its timeline, updated live from `order` events (and
 * re-read on a notification about it) — no polling. The customer may cancel while the checkout
 * runs; an admin sees a link to the checkout's saga.
 */
import { useEffect, useState } from 'preact/hooks';
import { commands, minPositionHeader, outcome, queries, type Order } from '../../app/api';
import { formatTime } from '../../app/format';
import { onLive } from '../../app/live';
import { formatMoney } from '../../app/money';
import { cancellationReasonText, isCancellable, newer, paymentStatusText, StatusBadge } from '../../app/order-text';
import type { Problem } from '../../app/problem';
import { href } from '../../app/router';
import { isAdmin } from '../../app/session';
import { PageHeading, ProblemAlert, useQuery } from '../../app/ui';
import { rememberWrite, writtenPosition } from './written';

const timelineText: Record<string, string> = {
  OrderPlaced: 'Order placed',
  OrderConfirmed: 'Order confirmed',
  OrderCancellationRequested: 'Cancellation requested',
  OrderCancelled: 'Order cancelled',
  PaymentAuthorized: 'Payment authorized',
  PaymentDeclined: 'Payment declined',
  PaymentCaptured: 'Payment taken',
  PaymentVoided: 'Payment voided',
  PaymentRefunded: 'Payment refunded',
};

function CancelOrder({ order, onCancelled }: { order: Order; onCancelled(): void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const cancel = async () => {
    setBusy(true);
    const answer = await outcome(commands.POST('/orders/{orderId}/cancel', { params: { path: { orderId: order.orderId } } }));
    setBusy(false);
    setProblem(answer.ok ? null : answer.problem);
    if (answer.ok) {
      rememberWrite(order.orderId, answer.data.position);
      onCancelled();
    }
  };
  return (
    <div class="actions">
      <button type="button" class="danger" onClick={() => void cancel()} disabled={busy}>
        Cancel order
      </button>
      <ProblemAlert problem={problem} prefix="The order could not be cancelled" />
    </div>
  );
}

export function OrderPage({ orderId }: { orderId: string }) {
  const [reads, setReads] = useState(0);
  const order = useQuery(
    () => outcome(queries.GET('/orders/{orderId}', { params: { path: { orderId }, header: minPositionHeader(writtenPosition(orderId)) } })),
    [orderId, reads],
  );

  useEffect(() => {
    const stops = [
      onLive('order', (changed) => {
        if (changed.orderId === orderId) order.update((current) => newer(current, changed));
      }),
      // A notification about this order means it changed: read it (covers a missed `order` event).
      onLive('notification', (notification) => {
        if (notification.orderId === orderId) setReads((n) => n + 1);
      }),
    ];
    return () => stops.forEach((stop) => stop());
  }, [orderId]);

  const data = order.data;
  return (
    <>
      <PageHeading>Order {orderId}</PageHeading>
      <ProblemAlert problem={order.problem} prefix="The order could not be read" />
      {!data && order.loading && <p role="status">Loading the order…</p>}
      {data && (
        <>
          <p class="order-status" role="status">
            Status: <StatusBadge status={data.status} testId="order-status" />
            {data.cancellation?.reason && <span> — {cancellationReasonText[data.cancellation.reason] ?? data.cancellation.reason}</span>}
            {data.cancellation?.sku && <span> ({data.cancellation.sku})</span>}
          </p>
          {!isAdmin.value && isCancellable(data) && <CancelOrder order={data} onCancelled={() => setReads((n) => n + 1)} />}
          {isAdmin.value && (
            <p>
              Customer {data.customerId} · <a href={href('admin', 'checkouts', orderId)}>Checkout saga of this order</a>
            </p>
          )}
          <h2>Lines</h2>
          <div class="table-scroll" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">SKU</th>
                  <th scope="col">Quantity</th>
                  <th scope="col">Unit price</th>
                </tr>
              </thead>
              <tbody>
                {data.lines.map((line) => (
                  <tr key={line.sku}>
                    <th scope="row">{line.sku}</th>
                    <td>{line.quantity}</td>
                    <td>{formatMoney(line.unitPrice)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row" colSpan={2}>
                    Total
                  </th>
                  <td>{formatMoney(data.total)}</td>
                </tr>
              </tfoot>
            </table>
          </div>
          <p>
            Payment: <span data-testid="payment-status">{paymentStatusText[data.payment.status] ?? data.payment.status}</span>
            {data.payment.declineReason && ` (${data.payment.declineReason})`}
          </p>
          <h2>Timeline</h2>
          <ol class="timeline" aria-label="Order timeline">
            {data.timeline.map((entry) => (
              <li key={`${entry.stream}:${entry.revision}`}>
                <time dateTime={entry.at}>{formatTime(entry.at)}</time> {timelineText[entry.type] ?? entry.type}
              </li>
            ))}
          </ol>
          <p class="hint">
            Placed {formatTime(data.placedAt)} · last change {formatTime(data.updatedAt)}
          </p>
        </>
      )}
      <p>
        <a href={isAdmin.value ? href('admin', 'orders') : href('orders')}>
          {isAdmin.value ? 'Back to the live feed' : 'Your order history'}
        </a>
      </p>
    </>
  );
}
