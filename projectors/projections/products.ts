/**
 * Products with their stock, from `inventory-{sku}` streams. `available` (on hand − reserved) is
 * a generated column. The row keeps the stream revision it reflects; older events change nothing.
 */
import type { ShopEvent, InventoryEvent } from '../../domain';
import type { ProjectedEvent, Projection } from '../framework/types';
import { InconsistentEventError } from '../framework/types';
import { applyToRows, domainEvents, handlesTypes } from './support';

export interface ProductRow {
  sku: string;
  name: string;
  price_amount: number;
  currency: string;
  on_hand: number;
  reserved: number;
  sold: number;
  updated_at: Date;
  revision: number;
  last_position: string;
}

const handled = ['ProductRegistered', 'ProductPriceChanged', 'StockReceived', 'StockReserved', 'StockReleased', 'StockCommitted'] as const;

export const productsProjection: Projection<ShopEvent> = {
  name: 'products',
  streamPrefixes: ['inventory-'],
  handles: handlesTypes(handled),
  ...domainEvents,
  apply: applyToRows<InventoryEvent, ProductRow, 'sku'>({
    table: 'products',
    key: 'sku',
    // Not `available`: a generated column, which an upsert cannot write.
    columns: ['sku', 'name', 'price_amount', 'currency', 'on_hand', 'reserved', 'sold', 'updated_at', 'revision', 'last_position'],
    keyOf: ({ event }) => event.data.sku,
    evolve: evolveRow,
  }),
};

function evolveRow(row: ProductRow | undefined, projected: ProjectedEvent<InventoryEvent>): ProductRow | undefined {
  const { event, revision, position, recordedAt } = projected;
  const rev = Number(revision);
  const stamp = { revision: rev, last_position: position.commit.toString(), updated_at: recordedAt };
  if (event.type === 'ProductRegistered') {
    if (row) return undefined;
    const { sku, name, price } = event.data;
    return { sku, name, price_amount: price.amount, currency: price.currency, on_hand: 0, reserved: 0, sold: 0, ...stamp };
  }
  if (!row) throw new InconsistentEventError(projected, `${event.type} for SKU ${event.data.sku}, which was never registered`);
  if (rev <= row.revision) return undefined;
  switch (event.type) {
    case 'ProductPriceChanged':
      return { ...row, ...stamp, price_amount: event.data.price.amount, currency: event.data.price.currency };
    case 'StockReceived':
      return { ...row, ...stamp, on_hand: row.on_hand + event.data.quantity };
    case 'StockReserved':
      return { ...row, ...stamp, reserved: row.reserved + event.data.quantity };
    case 'StockReleased':
      return { ...row, ...stamp, reserved: row.reserved - event.data.quantity };
    case 'StockCommitted':
      return {
        ...row,
        ...stamp,
        on_hand: row.on_hand - event.data.quantity,
        reserved: row.reserved - event.data.quantity,
        sold: row.sold + event.data.quantity,
      };
    default:
      return { ...row, ...stamp };
  }
}
