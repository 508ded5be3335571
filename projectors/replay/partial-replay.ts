/**
 * `--from <position>`: a partial replay. It re-folds, with this release's code, the rows of the
 * entities whose stream began at or after the position (orders placed since, products
 * registered since, checkouts started since); the rows of older entities are copied from the
 * live table as they are. It needs rows that are each the fold of one entity's streams and keep
 * the revisions they reflect, so that a copied row ignores the events the replay passes again.
 *
 * `sales` and `notifications` aggregate across entities (daily totals, per-user sequence numbers
 * and counters): a row cannot be taken out and folded again alone, so they rebuild from the
 * start only.
 */
import { BACKWARDS, END, type EventStoreDBClient } from '@eventstore/db-client';
import type { Knex } from 'knex';
import { CHECKPOINTS_TABLE } from '../framework/checkpoint-store';
import type { Position } from '../framework/types';
import type { ReplayContext } from './context';
import { ExitCode, ReplayError } from './errors';
import { readRange } from './fold-range';

interface PartialReplay {
  readonly table: string;
  readonly key: string;
  /** The stream whose first event creates the row; its name after the prefix is the key. */
  readonly bornIn: string;
}

export const partialReplays: Readonly<Record<string, PartialReplay>> = {
  orders: { table: 'orders', key: 'order_id', bornIn: 'order-' },
  products: { table: 'products', key: 'sku', bornIn: 'inventory-' },
  checkout_progress: { table: 'checkout_progress', key: 'order_id', bornIn: 'checkout-' },
};

export function assertPartialReplaySupported(names: readonly string[]): void {
  const unsupported = names.filter((name) => !partialReplays[name]);
  if (unsupported.length > 0) {
    throw new ReplayError(
      `--from is not supported by ${unsupported.join(', ')} (rows that aggregate across orders cannot be re-folded alone); it works for ${Object.keys(partialReplays).join(', ')}: rebuild the others from the start`,
      ExitCode.usage,
    );
  }
}

/**
 * Seeds one projection's shadow table for a replay from `from`: the live rows, minus those of
 * entities born at or after it, and the checkpoint just before it. Runs in the shadow's
 * transaction (search path: the shadow schema).
 */
export async function seedPartialReplay(
  trx: Knex.Transaction,
  { client, schema: liveSchema }: Pick<ReplayContext, 'client' | 'schema'>,
  name: string,
  from: bigint,
): Promise<void> {
  const { table, key, bornIn } = partialReplays[name]!;
  const startAfter = await recordBefore(client, from);
  // Copy first, then look for births: an entity born while copying is then surely found.
  const columns = (await trx('information_schema.columns')
    .where({ table_schema: liveSchema, table_name: table, is_generated: 'NEVER' })
    .orderBy('ordinal_position')
    .pluck('column_name')) as string[];
  const list = columns.map(() => '??').join(', ');
  await trx.raw(`insert into ?? (${list}) select ${list} from ??.??`, [table, ...columns, ...columns, liveSchema, table]);
  const head = await lastPosition(client);
  if (head && head.commit >= from) {
    const born: string[] = [];
    for await (const event of readRange(client, [bornIn], startAfter, head)) {
      if (event.revision === 0n) born.push(event.streamName.slice(bornIn.length));
      if (born.length >= 1000) await trx(table).whereIn(key, born.splice(0)).delete();
    }
    if (born.length > 0) await trx(table).whereIn(key, born).delete();
  }
  await trx(CHECKPOINTS_TABLE)
    .where({ projection: name })
    .update({
      commit_position: startAfter?.commit.toString() ?? null,
      prepare_position: startAfter?.prepare.toString() ?? null,
      events_applied: 0,
    });
}

/** The record just before `position` (backwards reads exclude their start), or undefined at the start. */
async function recordBefore(client: EventStoreDBClient, position: bigint): Promise<Position | undefined> {
  let found: Position | undefined;
  for await (const { event } of client.readAll({
    direction: BACKWARDS,
    fromPosition: { commit: position, prepare: position },
    maxCount: 1,
  })) {
    if (event?.position) found = event.position;
  }
  return found;
}

async function lastPosition(client: EventStoreDBClient): Promise<Position | undefined> {
  let found: Position | undefined;
  for await (const { event } of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
    if (event?.position) found = event.position;
  }
  return found;
}
