/**
 * Sales figures: units and revenue per SKU per day (UTC day of the order's confirmation), from
 * `order-` streams. A confirmed order's lines are counted once: the projection remembers each
 * order's lines (from OrderPlaced) and marks them `sold_on` when it counts them, so a replayed
 * confirmation finds nothing left to count.
 */
import type { ShopEvent, OrderEvent } from '../../domain';
import type { ProjectedEvent, Projection } from '../framework/types';
import { domainEvents, handlesTypes } from './support';

type Placed = Extract<OrderEvent, { type: 'OrderPlaced' }>;
type Confirmed = Extract<OrderEvent, { type: 'OrderConfirmed' }>;

interface CountedLine {
  order_id: string;
  sku: string;
  quantity: number;
  /** As text: revenue is summed as bigint (a day's revenue passes 2^53 long before a bigint column fills). */
  unit_price: string;
  currency: string;
  sold_on: string;
}

export const salesProjection: Projection<ShopEvent> = {
  name: 'sales',
  streamPrefixes: ['order-'],
  handles: handlesTypes(['OrderPlaced', 'OrderConfirmed']),
  ...domainEvents,
  async apply(trx, events) {
    // Every confirmation follows its order's placement in the log, so inserting all of the
    // batch's lines first and then counting all of its confirmations keeps the log's meaning.
    const lines = (events as ProjectedEvent<Placed | Confirmed>[]).flatMap(({ event }) =>
      event.type === 'OrderPlaced'
        ? event.data.lines.map((line) => ({
            order_id: event.data.orderId,
            sku: line.sku,
            quantity: line.quantity,
            unit_price: line.unitPrice.amount,
            currency: line.unitPrice.currency,
          }))
        : [],
    );
    if (lines.length > 0) await trx('sales_order_lines').insert(lines).onConflict(['order_id', 'sku']).ignore();

    const confirmations = (events as ProjectedEvent<Placed | Confirmed>[]).flatMap(({ event }) =>
      event.type === 'OrderConfirmed' ? [{ orderId: event.data.orderId, day: event.data.confirmedAt.slice(0, 10) }] : [],
    );
    if (confirmations.length === 0) return;
    const { rows: counted } = (await trx.raw(
      `update sales_order_lines as line set sold_on = confirmed.day::date
         from jsonb_to_recordset(?::jsonb) as confirmed(order_id text, day text)
        where line.order_id = confirmed.order_id and line.sold_on is null
          and line.order_id = any(?::text[])
        returning line.order_id, line.sku, line.quantity, line.unit_price::text as unit_price, line.currency, to_char(line.sold_on, 'YYYY-MM-DD') as sold_on`,
      // The array is for the planner: it cannot see how few rows the recordset holds, and with
      // stale statistics (a table just created, as in a rebuild's shadow) it scans every line;
      // an = any() on the key's first column is an index lookup whatever the statistics.
      [JSON.stringify(confirmations.map(({ orderId, day }) => ({ order_id: orderId, day }))), confirmations.map(({ orderId }) => orderId)],
    )) as { rows: CountedLine[] };
    if (counted.length === 0) return;

    const totals = new Map<string, { day: string; sku: string; currency: string; units: number; revenue: bigint; orders: number }>();
    for (const line of counted) {
      const key = `${line.sold_on}|${line.sku}|${line.currency}`;
      const total = totals.get(key) ?? { day: line.sold_on, sku: line.sku, currency: line.currency, units: 0, revenue: 0n, orders: 0 };
      total.units += line.quantity;
      total.revenue += BigInt(line.quantity) * BigInt(line.unit_price);
      total.orders += 1;
      totals.set(key, total);
    }
    await trx('sales_daily')
      .insert([...totals.values()].map((total) => ({ ...total, revenue: total.revenue.toString() })))
      .onConflict(['day', 'sku', 'currency'])
      .merge({
        units: trx.raw('sales_daily.units + excluded.units'),
        revenue: trx.raw('sales_daily.revenue + excluded.revenue'),
        orders: trx.raw('sales_daily.orders + excluded.orders'),
      });
  },
};
