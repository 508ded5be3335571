/**
 * Orders newest first, a page at a time ("Older orders" follows `nextCursor`), kept current by
 * `order` events: a changed order is updated in place, a new one goes on top. Customers see
 * their own (the API filters), admins all of them.
 */
import { useEffect, useState } from 'preact/hooks';
import { outcome, queries, type Order, type OrderSummary } from './api';
import { formatShortTime, shortId } from './format';
import { onLive } from './live';
import { formatMoney } from './money';
import { newer, outcomeText, StatusBadge, summaryOf } from './order-text';
import type { Problem } from './problem';
import { href } from './router';
import { ProblemAlert, useQuery } from './ui';

export function useOrderPages() {
  const first = useQuery(() => outcome(queries.GET('/orders', { params: { query: { limit: 20 } } })), []);
  const [orders, setOrders] = useState<OrderSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [older, setOlder] = useState<{ loading: boolean; problem: Problem | null }>({ loading: false, problem: null });

  useEffect(() => {
    if (!first.data) return;
    setOrders(first.data.items);
    setCursor(first.data.nextCursor);
  }, [first.data]);

  useEffect(() => {
    const apply = (order: Order) => {
      const summary = summaryOf(order);
      setOrders((current) => {
        const index = current.findIndex((item) => item.orderId === summary.orderId);
        if (index < 0) return [summary, ...current];
        const next = [...current];
        next[index] = newer(current[index], summary);
        return next;
      });
    };
    const stops = [
      onLive('order', apply),
      // A notification names an order that changed: read it, in case its `order` event was missed.
      onLive('notification', (notification) => {
        const orderId = notification.orderId;
        if (!orderId) return;
        void outcome(queries.GET('/orders/{orderId}', { params: { path: { orderId } } })).then((answer) => answer.ok && apply(answer.data));
      }),
    ];
    return () => stops.forEach((stop) => stop());
  }, []);

  const loadOlder = async () => {
    if (!cursor) return;
    setOlder({ loading: true, problem: null });
    const answer = await outcome(queries.GET('/orders', { params: { query: { limit: 20, cursor } } }));
    setOlder({ loading: false, problem: answer.ok ? null : answer.problem });
    if (!answer.ok) return;
    setOrders((current) => {
      const known = new Set(current.map((order) => order.orderId));
      return [...current, ...answer.data.items.filter((order) => !known.has(order.orderId))];
    });
    setCursor(answer.data.nextCursor);
  };

  return { orders, first, cursor, older, loadOlder };
}

export function OrderList({ showCustomer, label }: { showCustomer: boolean; label: string }) {
  const { orders, first, cursor, older, loadOlder } = useOrderPages();
  return (
    <>
      <ProblemAlert problem={first.problem} prefix="The orders could not be read" />
      {first.loading && orders.length === 0 && <p role="status">Loading orders…</p>}
      {!first.loading && !first.problem && orders.length === 0 && <p>No orders yet.</p>}
      {orders.length > 0 && (
        <div class="table-scroll" tabIndex={0}>
          <table aria-label={label}>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Placed</th>
                {showCustomer && <th scope="col">Customer</th>}
                <th scope="col">Items</th>
                <th scope="col">Total</th>
                <th scope="col">Status</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {orders.map((order) => (
                <tr key={order.orderId} data-order-id={order.orderId}>
                  <th scope="row">
                    <a href={href('orders', order.orderId)} aria-label={`Order ${order.orderId}`}>
                      {shortId(order.orderId)}
                    </a>
                  </th>
                  <td>{formatShortTime(order.placedAt)}</td>
                  {showCustomer && <td>{order.customerId}</td>}
                  <td>{order.lineCount}</td>
                  <td>{formatMoney(order.total)}</td>
                  <td>
                    <StatusBadge status={order.status} />
                  </td>
                  <td>{outcomeText(order)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" onClick={() => void loadOlder()} disabled={older.loading}>
          Older orders
        </button>
      )}
      <ProblemAlert problem={older.problem} />
    </>
  );
}
