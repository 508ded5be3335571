/** Small helpers the projections share. */
import type { Knex } from 'knex';
import { isShopEventType, readShopEvent, type ShopEvent } from '../../domain';
import type { ProjectedEvent, RawEvent } from '../framework/types';

/** jsonb parameters must be sent as JSON text: pg would turn a JS array into a Postgres array. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

export function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/** What a projection of domain events (inventory, order, payment) knows and how it reads them. */
export const domainEvents = {
  knows: (type: string) => isShopEventType(type),
  read: (raw: RawEvent): ShopEvent => readShopEvent({ type: raw.type, data: raw.data, schemaVersion: raw.schemaVersion }),
};

/** A set of event types as a `handles` predicate. */
export function handlesTypes(types: readonly string[]): (type: string) => boolean {
  const set = new Set(types);
  return (type) => set.has(type);
}

/**
 * A read model of one row per key (an order, a SKU), each row evolved event by event and keeping
 * the stream revision it reflects, so a replayed event changes nothing.
 */
export interface RowModel<Event extends { type: string; data: unknown }, Row, Key extends keyof Row & string> {
  readonly table: string;
  /** The key column. */
  readonly key: Key;
  /** The columns read back (default all; leave out generated ones, which cannot be written). */
  readonly columns?: readonly string[];
  /** The key of the row `projected` touches. */
  keyOf(projected: ProjectedEvent<Event>): string;
  /** The row after `projected`, or undefined when it changes nothing (already applied); throws InconsistentEventError when it contradicts the row. */
  evolve(row: Row | undefined, projected: ProjectedEvent<Event>): Row | undefined;
  /** The row as it is written (jsonb columns as JSON text); default as it is. */
  toRecord?(row: Row): Record<string, unknown>;
}

/** A projection's `apply` for `model`: one query reads the batch's rows, one upsert writes those that changed. */
export function applyToRows<Event extends { type: string; data: unknown }, Row, Key extends keyof Row & string>(
  model: RowModel<Event, Row, Key>,
): (trx: Knex.Transaction, events: readonly ProjectedEvent<Event>[]) => Promise<void> {
  return async (trx, events) => {
    const query = trx(model.table).whereIn(model.key, unique(events.map((projected) => model.keyOf(projected))));
    const existing = (await (model.columns ? query.select(...model.columns) : query)) as Row[];
    const rows = new Map(existing.map((row) => [row[model.key] as string, row]));
    const changed = new Set<string>();
    for (const projected of events) {
      const key = model.keyOf(projected);
      const row = model.evolve(rows.get(key), projected);
      if (row) {
        rows.set(key, row);
        changed.add(key);
      }
    }
    if (changed.size === 0) return;
    const toRecord = model.toRecord ?? ((row: Row) => row as Record<string, unknown>);
    await trx(model.table)
      .insert([...changed].map((key) => toRecord(rows.get(key)!)))
      .onConflict(model.key)
      .merge();
  };
}
