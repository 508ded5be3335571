/**
 * The swap: in ONE transaction, the rebuilt tables replace the live ones and the live checkpoint
 * rows take the shadow's positions. Readers see either the old model whole or the new one whole.
 *
 * 1. Lock the live checkpoint rows (FOR UPDATE, in name order). Every live batch moves its row
 *    first, before writing anything, so from here no live batch is half-way: one in flight
 *    committed before we got the row (and we read its position), the next waits, with nothing
 *    written, until we commit, then runs on the new tables.
 * 2. Bring each shadow to exactly the live position by folding the events in between (the live
 *    writer is paused, so that position holds still). A shadow ahead of a stopped live writer
 *    keeps its own position; the live runner then sees its checkpoint moved and resumes from it.
 * 3. Drop the live tables and views, move the shadow's in (SET SCHEMA: views follow their
 *    tables), re-point foreign keys from live-only tables (the outbox), update the checkpoint
 *    rows, drop the shadow schema, commit.
 *
 * Lock timeouts bound the pause: a long reader in the way makes the attempt roll back (the
 * writers go on) and try again a moment later, rather than hold everyone.
 */
import type { Knex } from 'knex';
import { retry, type Backoff } from '../../platform/retry';
import { CHECKPOINTS_TABLE, lockCheckpoint, positionOfRow } from '../framework/checkpoint-store';
import type { Position, Projection } from '../framework/types';
import { outboxChannel, outboxRowFor, type NotificationRow } from '../projections/notification-outbox';
import type { ReplayContext } from './context';
import { ExitCode, ReplayError } from './errors';
import { foldRange } from './fold-range';
import { checkpointRows, isBefore } from './live-checkpoints';
import { tablesOf } from './read-model-tables';

export interface SwapPlan {
  readonly tables: readonly string[];
  readonly views: readonly string[];
}

export interface SwappedProjection {
  readonly name: string;
  readonly position: Position | undefined;
  /** Events folded in during the swap (what the live writer applied since the shadow stopped). */
  readonly folded: number;
  /** The live checkpoint was behind the shadow's (live writer stopped) and moved forward to it. */
  readonly movedLiveForward: boolean;
}

export interface SwapResult {
  readonly projections: readonly SwappedProjection[];
  readonly tables: readonly string[];
  readonly views: readonly string[];
  /** How long the live writers of these projections were held. */
  readonly pauseMs: number;
}

/** The tables of `names` and the views over them, as they are in the live schema. */
export async function planSwap(knex: Knex, schema: string, names: readonly string[]): Promise<SwapPlan> {
  const tables = tablesOf(names);
  return { tables, views: await viewsOver(knex, schema, tables) };
}

async function viewsOver(knex: Knex | Knex.Transaction, schema: string, tables: readonly string[]): Promise<string[]> {
  const { rows } = (await knex.raw(
    `select distinct v.relname as view
     from pg_depend d
     join pg_rewrite r on r.oid = d.objid
     join pg_class v on v.oid = r.ev_class and v.relkind = 'v'
     join pg_class t on t.oid = d.refobjid
     join pg_namespace n on n.oid = t.relnamespace
     where d.classid = 'pg_rewrite'::regclass and n.nspname = ? and t.relname = any(?) and v.oid <> t.oid
     order by 1`,
    [schema, [...tables]],
  )) as { rows: { view: string }[] };
  return rows.map(({ view }) => view);
}

export interface SwapOptions {
  shadowSchema: string;
  /** The shadow's projections (writeOutbox false), used to fold the last events in. */
  projections: readonly Projection[];
  plan: SwapPlan;
  lockTimeoutMs?: number;
  attempts?: number;
}

/** Between attempts: about eight seconds in all over the default 30 attempts, as long as a reader in the way may take. */
const SWAP_BACKOFF: Backoff = { initialMs: 50, maxMs: 600 };

export async function swapShadowIn(context: ReplayContext, options: SwapOptions): Promise<SwapResult> {
  const { attempts = 30 } = options;
  try {
    return await retry(
      () => swapOnce(context, options),
      { maxAttempts: attempts, backoff: SWAP_BACKOFF },
      {
        // 55P03 lock_not_available (our lock_timeout), 40P01 deadlock: someone else was in the way.
        shouldRetry: (error) => codeOf(error) === '55P03' || codeOf(error) === '40P01',
        onRetry: (error, attempt) =>
          context.logger.info({ attempt, code: codeOf(error) }, 'the swap was in the way of another transaction; trying again'),
      },
    );
  } catch (error) {
    if (codeOf(error) === '55P03')
      throw new ReplayError(
        `could not take the tables for the swap in ${attempts} attempts (a long transaction is using them?); nothing was swapped, the shadow is kept`,
        ExitCode.failed,
      );
    throw error;
  }
}

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;

async function swapOnce(
  context: ReplayContext,
  { shadowSchema, projections, plan, lockTimeoutMs = 5000 }: SwapOptions,
): Promise<SwapResult> {
  const live = context.schema;
  const names = projections.map(({ name }) => name).sort();
  return context.knex.transaction(async (trx) => {
    await trx.raw(`set local lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);

    // 1. Pause the live writers.
    for (const name of names) await trx(CHECKPOINTS_TABLE).insert({ projection: name }).onConflict('projection').ignore();
    const livePositions = new Map<string, Position | undefined>();
    for (const name of names) livePositions.set(name, (await lockCheckpoint(trx, name)).position);
    const pausedAt = performance.now();
    const liveRows = await checkpointRows(trx, names);

    const views = await viewsOver(trx, live, plan.tables);
    const shadowViews = await viewsOver(trx, shadowSchema, plan.tables);
    if (views.join() !== shadowViews.join())
      throw new ReplayError(
        `the live schema has views ${views.join(', ') || 'none'} over these tables, the shadow ${shadowViews.join(', ') || 'none'}: migrate the live schema first`,
        ExitCode.failed,
      );
    const inbound = await foreignKeysInto(trx, live, plan.tables);

    // Every table the swap alters, in one statement, before anything else: a reader holding one
    // of them while it waits for another would otherwise deadlock with us. Waiting less than
    // deadlock_timeout (1 s) means we give up (and try again) before Postgres would pick a
    // victim, so a reader never sees an error, only a wait.
    const altered = [
      ...plan.tables.map((table) => [live, table]),
      ...views.map((view) => [live, view]),
      ...unique(inbound.map(({ table }) => table)).map((table) => [live, table]),
      ...plan.tables.map((table) => [shadowSchema, table]),
    ];
    await trx.raw(`set local lock_timeout = ${TABLE_LOCK_WAIT_MS}`);
    await trx.raw(`lock table ${altered.map(() => '??.??').join(', ')} in access exclusive mode`, altered.flat());
    await trx.raw(`set local lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);

    // 2. Bring each shadow to the live position.
    await trx.raw('set local search_path to ??', [shadowSchema]);
    const shadowRows = await checkpointRows(trx, names);
    const swapped: (SwappedProjection & { eventsApplied: number; lastEventAt: Date | null; aheadOf: Position | undefined })[] = [];
    for (const projection of projections) {
      const row = shadowRows.get(projection.name);
      const shadowAt = positionOfRow(row);
      const liveAt = livePositions.get(projection.name);
      let folded = 0;
      let position = shadowAt;
      if (isBefore(shadowAt, liveAt)) {
        folded = await foldRange(trx, context.client, projection, { after: shadowAt, through: liveAt! });
        position = liveAt;
      }
      // The folded events are the newest applied, the same the live writer applied last.
      const lastEventAt = folded > 0 ? (liveRows.get(projection.name)?.last_event_at ?? null) : (row?.last_event_at ?? null);
      swapped.push({
        name: projection.name,
        position,
        folded,
        movedLiveForward: isBefore(liveAt, shadowAt),
        eventsApplied: Number(row?.events_applied ?? 0) + folded,
        lastEventAt,
        aheadOf: isBefore(liveAt, shadowAt) ? (liveAt ?? { commit: -1n, prepare: -1n }) : undefined,
      });
    }
    await trx.raw('set local search_path to ??', [live]);

    // 3. Out with the old, in with the new.
    for (const key of inbound) await trx.raw('alter table ?? drop constraint ??', [key.table, key.name]);
    for (const view of views) await trx.raw('drop view ??.??', [live, view]);
    for (const table of plan.tables) await trx.raw('drop table ??.??', [live, table]);
    for (const table of plan.tables) await trx.raw('alter table ??.?? set schema ??', [shadowSchema, table, live]);
    for (const view of views) await trx.raw('alter view ??.?? set schema ??', [shadowSchema, view, live]);
    // NOT VALID: checking every outbox row would lengthen the pause; validated after commit.
    for (const key of inbound) await trx.raw(`alter table ?? add constraint ?? ${key.definition} not valid`, [key.table, key.name]);

    if (plan.tables.includes('notifications')) {
      // Unsent outbox rows whose notification the rebuilt model no longer has would announce
      // what the corrected model says did not happen.
      await trx.raw(
        'delete from notification_outbox o where sent_at is null and not exists (select 1 from notifications n where n.notification_id = o.notification_id)',
      );
      const ahead = swapped.find(({ name, aheadOf }) => name === 'notifications' && aheadOf);
      if (ahead?.aheadOf) await queueNotificationsAfter(trx, live, ahead.aheadOf);
    }

    for (const { name, position, eventsApplied, lastEventAt } of swapped) {
      await trx(CHECKPOINTS_TABLE)
        .where({ projection: name })
        .update({
          commit_position: position?.commit.toString() ?? null,
          prepare_position: position?.prepare.toString() ?? null,
          last_event_at: lastEventAt,
          events_applied: eventsApplied,
          updated_at: trx.fn.now(),
          failed_at: null,
          failure: null,
        });
    }
    await trx.raw('drop schema ?? cascade', [shadowSchema]);
    const pauseMs = performance.now() - pausedAt;
    return {
      projections: swapped.map(({ name, position, folded, movedLiveForward }) => ({ name, position, folded, movedLiveForward })),
      tables: plan.tables,
      views,
      pauseMs,
    };
  });
}

/** Below Postgres's default deadlock_timeout (1 s). */
const TABLE_LOCK_WAIT_MS = 300;

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

interface ForeignKey {
  table: string;
  name: string;
  definition: string;
}

/** Foreign keys of tables that stay (the outbox) onto tables being replaced. */
async function foreignKeysInto(trx: Knex.Transaction, schema: string, tables: readonly string[]): Promise<ForeignKey[]> {
  const { rows } = (await trx.raw(
    `select src.relname as table, c.conname as name, pg_get_constraintdef(c.oid) as definition
     from pg_constraint c
     join pg_class src on src.oid = c.conrelid
     join pg_class dst on dst.oid = c.confrelid
     join pg_namespace n on n.oid = dst.relnamespace
     where c.contype = 'f' and n.nspname = ? and dst.relname = any(?) and not (src.relname = any(?)) and src.relnamespace = dst.relnamespace`,
    [schema, [...tables], [...tables]],
  )) as { rows: ForeignKey[] };
  return rows;
}

/**
 * The shadow went past a stopped live writer: the notifications it recorded beyond the live
 * position were never sent (the live writer would have queued them), so queue them now.
 */
async function queueNotificationsAfter(trx: Knex.Transaction, schema: string, after: Position): Promise<void> {
  const rows = (await trx('notifications')
    .where('position', '>', after.commit.toString())
    .orderBy([{ column: 'position' }, { column: 'seq' }])) as NotificationRow[];
  if (rows.length === 0) return;
  await trx('notification_outbox').insert(rows.map(outboxRowFor)).onConflict('notification_id').ignore();
  await trx.raw('select pg_notify(?, null)', [outboxChannel(schema)]);
}

/** After the commit, outside the pause: check the re-pointed foreign keys. */
export async function validateForeignKeys(context: ReplayContext): Promise<string[]> {
  const problems: string[] = [];
  const { rows } = (await context.knex.raw(
    `select src.relname as table, c.conname as name
     from pg_constraint c join pg_class src on src.oid = c.conrelid join pg_namespace n on n.oid = src.relnamespace
     where c.contype = 'f' and not c.convalidated and n.nspname = ?`,
    [context.schema],
  )) as { rows: { table: string; name: string }[] };
  for (const { table, name } of rows) {
    try {
      await context.knex.raw('alter table ?? validate constraint ??', [table, name]);
    } catch (error) {
      problems.push(`${table}.${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}
