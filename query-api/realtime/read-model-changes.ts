/**
 * Live changes of the read models, computed from the read models themselves: every row of
 * `products`, `orders` and `checkout_progress` keeps `last_position`, the log position of the
 * last event it applied. When a projection's checkpoint moves (the checkpoint watcher's LISTEN),
 * the rows whose position passed what this instance last sent are read and handed on, each as
 * exactly what its GET route answers (the same view functions and schemas).
 *
 * Bounded work:
 * - bursts coalesce: moves announced while a round runs only mark tables dirty, and the next
 *   round makes one query per dirty table, however many moves there were;
 * - a query takes at most `maxRowsPerQuery` rows; if it got that many, the table stays dirty and
 *   the next round continues after the last row sent;
 * - the cursor is (last_position, key), so rows sharing a position are neither skipped nor sent twice.
 *
 * Best effort: what changed before this instance started, or while a client was disconnected, is
 * not replayed; clients re-fetch from the read API when they (re)connect. A row changed twice
 * between two rounds is sent once, in its latest state.
 */
import type { Knex } from 'knex';
import type { z } from 'zod';
import type { Logger } from '../../platform/logger';
import { Checkout, checkoutView, type CheckoutRow } from '../checkouts/checkout-view';
import { Order, orderView, type OrderRow } from '../orders/order-view';
import { Product, productView, type ProductRow } from '../products/product-view';

export type ProductChange = z.output<typeof Product>;
export type OrderChange = z.output<typeof Order>;
export type CheckoutChange = z.output<typeof Checkout>;

export interface ChangeSink {
  product(product: ProductChange): void;
  /** `customerId`: whose order it is. */
  order(order: OrderChange, customerId: string): void;
  /** `customerId`: whose order the checkout is for; null while the orders read model has not seen the order. */
  checkout(checkout: CheckoutChange, customerId: string | null): void;
}

export interface CheckpointMoves {
  onMove(listener: (projection: string | undefined) => void): () => void;
}

export interface ReadModelChangesOptions {
  knex: Knex;
  moves: CheckpointMoves;
  sink: ChangeSink;
  logger: Logger;
  /** Rows read per table and round (default 200). */
  maxRowsPerQuery?: number;
  /** Rounds also run this often, in case a checkpoint move went unannounced (default 5000 ms). */
  safetyNetMs?: number;
  onEmitted?(kind: 'product' | 'order' | 'checkout', count: number): void;
}

type TableName = 'products' | 'orders' | 'checkout_progress';

interface Cursor {
  position: string;
  key: string;
}

interface ChangedRow {
  change_position: string;
  change_key: string;
}

interface Table {
  name: TableName;
  key: string;
  /** The rows after `cursor`, in cursor order, at most `limit`. */
  read(after: Cursor, limit: number): Promise<ChangedRow[]>;
  send(row: ChangedRow): void;
  kind: 'product' | 'order' | 'checkout';
}

/** Which tables a projection's move may have changed; undefined (moves missed): all. */
const TABLES_OF: Record<string, TableName[]> = {
  products: ['products'],
  orders: ['orders'],
  checkout_progress: ['checkout_progress'],
};

const BEFORE_EVERYTHING: Cursor = { position: '-1', key: '' };

export class ReadModelChanges {
  /** Resolves once this instance knows where the tables stand at its start (what it will not send). */
  readonly ready: Promise<void>;
  private readonly tables: Table[];
  private readonly cursors = new Map<TableName, Cursor>();
  private readonly dirty = new Set<TableName>();
  private running: Promise<void> | undefined;
  private stopListening: (() => void) | undefined;
  private readonly safetyNet: NodeJS.Timeout;
  private closed = false;
  private readonly maxRows: number;
  private readonly logger: Logger;

  constructor(private readonly options: ReadModelChangesOptions) {
    this.maxRows = options.maxRowsPerQuery ?? 200;
    this.logger = options.logger.child({ component: 'read-model-changes' });
    const { knex, sink } = options;
    const after = (column: string, key: string, cursor: Cursor) =>
      knex.raw(`(${column}, ${key}) > (?::numeric, ?)`, [cursor.position, cursor.key]);
    this.tables = [
      {
        name: 'products',
        key: 'sku',
        kind: 'product',
        read: (cursor, limit) =>
          knex('products')
            .select('*', knex.raw('last_position::text as change_position'), knex.raw('sku as change_key'))
            .where(after('last_position', 'sku', cursor))
            .orderBy([{ column: 'last_position' }, { column: 'sku' }])
            .limit(limit) as Promise<ChangedRow[]>,
        send: (row) => sink.product(Product.parse(productView(row as unknown as ProductRow))),
      },
      {
        name: 'orders',
        key: 'order_id',
        kind: 'order',
        read: (cursor, limit) =>
          knex('orders')
            .select('*', knex.raw('last_position::text as change_position'), knex.raw('order_id as change_key'))
            .where(after('last_position', 'order_id', cursor))
            .orderBy([{ column: 'last_position' }, { column: 'order_id' }])
            .limit(limit) as Promise<ChangedRow[]>,
        send: (row) => {
          const order = row as unknown as OrderRow;
          sink.order(Order.parse(orderView(order)), order.customer_id);
        },
      },
      {
        name: 'checkout_progress',
        key: 'order_id',
        kind: 'checkout',
        read: (cursor, limit) =>
          knex('checkout_progress as c')
            .leftJoin('orders as o', 'o.order_id', 'c.order_id')
            .select('c.*', 'o.customer_id', knex.raw('c.last_position::text as change_position'), knex.raw('c.order_id as change_key'))
            .where(after('c.last_position', 'c.order_id', cursor))
            .orderBy([{ column: 'c.last_position' }, { column: 'c.order_id' }])
            .limit(limit) as Promise<ChangedRow[]>,
        send: (row) => {
          const checkout = row as unknown as CheckoutRow;
          sink.checkout(Checkout.parse(checkoutView(checkout)), checkout.customer_id);
        },
      },
    ];
    this.ready = this.readStartingPoint();
    this.safetyNet = setInterval(() => this.markDirty(undefined), options.safetyNetMs ?? 5000).unref();
  }

  /** Stops listening and waits for a round in flight. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.safetyNet);
    this.stopListening?.();
    await this.running;
  }

  private async readStartingPoint(): Promise<void> {
    for (let delay = 250; !this.closed; delay = Math.min(delay * 2, 5000)) {
      try {
        for (const table of this.tables) {
          const [last] = (await this.options
            .knex(table.name)
            .select(this.options.knex.raw('last_position::text as change_position'), this.options.knex.raw(`${table.key} as change_key`))
            .orderBy([
              { column: 'last_position', order: 'desc' },
              { column: table.key, order: 'desc' },
            ])
            .limit(1)) as ChangedRow[];
          this.cursors.set(table.name, last ? { position: last.change_position, key: last.change_key } : BEFORE_EVERYTHING);
        }
        if (this.closed) return;
        this.stopListening = this.options.moves.onMove((projection) => this.markDirty(projection));
        // A move announced between the read above and the line before went to no one.
        this.markDirty(undefined);
        return;
      } catch (error) {
        this.logger.warn({ err: error, retryInMs: delay }, 'cannot read where the read models stand; live changes wait');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  }

  private markDirty(projection: string | undefined): void {
    if (this.closed || this.cursors.size === 0) return;
    const names = projection === undefined ? this.tables.map((table) => table.name) : TABLES_OF[projection];
    if (!names) return;
    for (const name of names) this.dirty.add(name);
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  private async run(): Promise<void> {
    while (this.dirty.size > 0 && !this.closed) {
      const round = this.tables.filter((table) => this.dirty.has(table.name));
      this.dirty.clear();
      for (const table of round) {
        if (this.closed) return;
        const more = await this.sendChangesOf(table);
        if (more) this.dirty.add(table.name);
      }
      // Let requests and notifications in between rounds of a long backlog.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** One query; answers whether the table may have more changed rows than were read. */
  private async sendChangesOf(table: Table): Promise<boolean> {
    const cursor = this.cursors.get(table.name) ?? BEFORE_EVERYTHING;
    let rows: ChangedRow[];
    try {
      rows = await table.read(cursor, this.maxRows);
    } catch (error) {
      // The next move or the safety net tries again from the same cursor.
      if (!this.closed) this.logger.warn({ err: error, table: table.name }, 'reading changed rows failed');
      return false;
    }
    let sent = 0;
    for (const row of rows) {
      try {
        table.send(row);
        sent++;
      } catch (error) {
        // A row its own route could not show either: skipped, not retried forever.
        this.logger.error({ err: error, table: table.name, key: row.change_key }, 'a changed row does not fit its view; not sent');
      }
    }
    const last = rows.at(-1);
    if (last) this.cursors.set(table.name, { position: last.change_position, key: last.change_key });
    if (sent > 0) this.options.onEmitted?.(table.kind, sent);
    return rows.length === this.maxRows;
  }
}
