/**
 * Low-stock tracking: admins (user id `*`) hear when a SKU's available stock falls to the
 * threshold or below, once per fall: it must rise above the threshold before it is reported
 * again. Each SKU's stock and whether it is low are kept in `notification_stock`.
 */
import type { Knex } from 'knex';
import type { InventoryEvent } from '../../domain';
import { InconsistentEventError, type ProjectedEvent } from '../framework/types';
import { ADMIN_USER_ID, noticeOf, type Notice } from './notification-outbox';
import { unique } from './support';

export const stockEventTypes = ['ProductRegistered', 'StockReceived', 'StockReserved', 'StockReleased', 'StockCommitted'] as const;
export type StockEvent = Extract<InventoryEvent, { type: (typeof stockEventTypes)[number] }>;

interface StockRow {
  sku: string;
  on_hand: number;
  reserved: number;
  low: boolean;
  revision: number;
}

/** One batch's low-stock tracking. */
export class LowStock {
  private readonly changed = new Set<string>();

  private constructor(
    private readonly stock: Map<string, StockRow>,
    private readonly threshold: number,
  ) {}

  /** Reads the stock of the batch's SKUs, in one query. */
  static async load(trx: Knex.Transaction, events: readonly ProjectedEvent<StockEvent>[], threshold: number): Promise<LowStock> {
    const skus = unique(events.map(({ event }) => event.data.sku));
    const rows = (await trx('notification_stock').whereIn('sku', skus)) as StockRow[];
    return new LowStock(new Map(rows.map((row) => [row.sku, row])), threshold);
  }

  /** The notice `projected` causes, if any. */
  noticeFor(projected: ProjectedEvent<StockEvent>): Notice | undefined {
    const { event } = projected;
    const rev = Number(projected.revision);
    const current = this.stock.get(event.data.sku);
    if (event.type === 'ProductRegistered') {
      // A new product has no stock yet; that is not news to the admin who registered it.
      if (!current) this.track({ sku: event.data.sku, on_hand: 0, reserved: 0, low: true, revision: rev });
      return undefined;
    }
    if (!current) throw new InconsistentEventError(projected, `${event.type} for SKU ${event.data.sku}, which was never registered`);
    if (rev <= current.revision) return undefined;
    const next = { ...current, revision: rev, ...stockChange(current, event) };
    const available = next.on_hand - next.reserved;
    next.low = available <= this.threshold;
    this.track(next);
    if (!next.low || current.low) return undefined;
    const data = { available, onHand: next.on_hand, reserved: next.reserved, threshold: this.threshold };
    return noticeOf(projected, {
      audience: 'admin',
      userId: ADMIN_USER_ID,
      type: 'LowStock',
      at: projected.recordedAt.toISOString(),
      data,
      sku: next.sku,
    });
  }

  /** Writes the stock rows this batch changed. */
  async save(trx: Knex.Transaction): Promise<void> {
    if (this.changed.size === 0) return;
    await trx('notification_stock')
      .insert([...this.changed].map((sku) => this.stock.get(sku)!))
      .onConflict('sku')
      .merge();
  }

  private track(row: StockRow): void {
    this.stock.set(row.sku, row);
    this.changed.add(row.sku);
  }
}

function stockChange(current: StockRow, event: Exclude<StockEvent, { type: 'ProductRegistered' }>): Partial<StockRow> {
  switch (event.type) {
    case 'StockReceived':
      return { on_hand: current.on_hand + event.data.quantity };
    case 'StockReserved':
      return { reserved: current.reserved + event.data.quantity };
    case 'StockReleased':
      return { reserved: current.reserved - event.data.quantity };
    case 'StockCommitted':
      return { on_hand: current.on_hand - event.data.quantity, reserved: current.reserved - event.data.quantity };
  }
}
