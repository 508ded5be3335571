/**
 * One row per projection in `projection_checkpoints`: the log position its rows reflect.
 *
 * `advance` is the first statement of the batch's transaction and moves the row from the position
 * the batch started at: if another writer moved it meanwhile (the replay CLI's swap, or — which
 * should be impossible under the advisory lock, but a lock can be lost with its connection —
 * another runner), nothing matches, the transaction rolls back, and the runner starts over from
 * the stored position. So a batch is applied exactly once. Its row lock, held to the commit, is
 * the one the swap takes (`lockCheckpoint`): a batch either commits before the swap, which then
 * sees it, or waits with nothing written and, after the swap, finds its checkpoint moved or goes
 * on on the new tables.
 */
import type { Knex } from 'knex';
import type { Position } from './types';

export const CHECKPOINTS_TABLE = 'projection_checkpoints';

export interface Checkpoint {
  readonly position: Position | undefined;
  readonly lastEventAt: Date | undefined;
  readonly eventsApplied: number;
  readonly failure: string | undefined;
}

/** A row of the checkpoints table. */
export interface CheckpointRow {
  projection: string;
  commit_position: string | null;
  prepare_position: string | null;
  last_event_at: Date | null;
  events_applied: number;
  failure: string | null;
}

export class CheckpointMovedError extends Error {
  override readonly name = 'CheckpointMovedError';
  constructor(readonly projection: string) {
    super(`the checkpoint of projection ${projection} was moved by another writer; starting over from the stored position`);
  }
}

/** The position a row stands at (undefined: nothing applied, or no row). */
export function positionOfRow(row: Pick<CheckpointRow, 'commit_position' | 'prepare_position'> | undefined): Position | undefined {
  if (!row || row.commit_position === null || row.prepare_position === null) return undefined;
  return { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) };
}

/** The stored checkpoint, creating the row (at "nothing applied") on first use. */
export async function loadCheckpoint(knex: Knex, projection: string): Promise<Checkpoint> {
  await knex(CHECKPOINTS_TABLE).insert({ projection }).onConflict('projection').ignore();
  const row = (await knex(CHECKPOINTS_TABLE).where({ projection }).first()) as CheckpointRow;
  return {
    position: positionOfRow(row),
    lastEventAt: row.last_event_at ?? undefined,
    eventsApplied: row.events_applied,
    failure: row.failure ?? undefined,
  };
}

/**
 * Locks the projection's checkpoint row until the end of `trx` and answers the stored position
 * (`found: false` when the row is gone): the replay CLI's swap holds the rows while it replaces
 * the tables, which pauses every live batch at its first statement (`advanceCheckpoint`).
 */
export async function lockCheckpoint(
  trx: Knex.Transaction,
  projection: string,
): Promise<{ found: boolean; position: Position | undefined }> {
  const row = (await trx(CHECKPOINTS_TABLE).where({ projection }).forUpdate().first('commit_position', 'prepare_position')) as
    Pick<CheckpointRow, 'commit_position' | 'prepare_position'> | undefined;
  return row ? { found: true, position: positionOfRow(row) } : { found: false, position: undefined };
}

export interface Advance {
  from: Position | undefined;
  to: Position;
  lastEventAt: Date | undefined;
  eventsApplied: number;
}

export async function advanceCheckpoint(
  trx: Knex.Transaction,
  projection: string,
  { from, to, lastEventAt, eventsApplied }: Advance,
): Promise<void> {
  const query = trx(CHECKPOINTS_TABLE).where({ projection });
  if (from) query.andWhere({ commit_position: from.commit.toString(), prepare_position: from.prepare.toString() });
  else query.whereNull('commit_position');
  const updated = await query.update({
    commit_position: to.commit.toString(),
    prepare_position: to.prepare.toString(),
    ...(lastEventAt ? { last_event_at: lastEventAt } : {}),
    events_applied: trx.raw('events_applied + ?', [eventsApplied]),
    updated_at: trx.fn.now(),
    failed_at: null,
    failure: null,
  });
  if (updated !== 1) throw new CheckpointMovedError(projection);
}

/**
 * Moves several projections' checkpoints in one batch (a group's: batch-commit.ts). Each moves from its
 * own position, as `advanceCheckpoint` moves one; any that another writer moved fails them all.
 * The rows are locked first in name order, the order the replay CLI's swap locks them in, so the
 * two never wait on each other in a cycle; then one statement moves them all.
 */
export async function advanceCheckpoints(trx: Knex.Transaction, advances: readonly (Advance & { projection: string })[]): Promise<void> {
  if (advances.length === 1) return advanceCheckpoint(trx, advances[0]!.projection, advances[0]!);
  if (advances.length === 0) return;
  const names = advances.map(({ projection }) => projection).sort();
  // Byte order (COLLATE "C"), as JavaScript sorts the names: the database's collation might not.
  await trx(CHECKPOINTS_TABLE).whereIn('projection', names).orderByRaw('projection collate "C"').forUpdate().select('projection');
  const rows = advances.map(() => '(?::text, ?::numeric, ?::numeric, ?::numeric, ?::numeric, ?::timestamptz, ?::bigint)').join(', ');
  const values = advances.flatMap(({ projection, from, to, lastEventAt, eventsApplied }) => [
    projection,
    from?.commit.toString() ?? null,
    from?.prepare.toString() ?? null,
    to.commit.toString(),
    to.prepare.toString(),
    lastEventAt ?? null,
    eventsApplied,
  ]);
  const result = (await trx.raw(
    `update ?? as checkpoint set commit_position = moved.to_commit, prepare_position = moved.to_prepare,
       last_event_at = coalesce(moved.last_event_at, checkpoint.last_event_at), events_applied = checkpoint.events_applied + moved.applied,
       updated_at = now(), failed_at = null, failure = null
     from (values ${rows}) as moved (projection, from_commit, from_prepare, to_commit, to_prepare, last_event_at, applied)
     where checkpoint.projection = moved.projection
       and checkpoint.commit_position is not distinct from moved.from_commit and checkpoint.prepare_position is not distinct from moved.from_prepare
     returning checkpoint.projection`,
    [CHECKPOINTS_TABLE, ...values],
  )) as { rows: unknown[] };
  if (result.rows.length !== advances.length) throw new CheckpointMovedError(names.join(', '));
}

/** Records why a projection stopped (outside any batch: the batch rolled back). */
export async function recordFailure(knex: Knex, projection: string, failure: string): Promise<void> {
  await knex(CHECKPOINTS_TABLE).where({ projection }).update({ failed_at: knex.fn.now(), failure });
}

/** Every projection's position, for the query API's read-your-writes wait. */
export async function checkpointPositions(knex: Knex): Promise<Map<string, Position | undefined>> {
  const rows = (await knex(CHECKPOINTS_TABLE).select('projection', 'commit_position', 'prepare_position')) as CheckpointRow[];
  return new Map(rows.map((row) => [row.projection, positionOfRow(row)]));
}

/** Forget a projection's progress (a rebuild starts from the beginning of the log). */
export async function resetCheckpoint(knex: Knex | Knex.Transaction, projection: string): Promise<void> {
  await knex(CHECKPOINTS_TABLE)
    .where({ projection })
    .update({ commit_position: null, prepare_position: null, last_event_at: null, events_applied: 0, failed_at: null, failure: null });
}
