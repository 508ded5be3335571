/**
 * The shadow: a schema beside the live one (`<schema>_rebuild`, `<schema>_verify`) holding the
 * whole read-model schema, run by the same migrations, that a rebuild fills from the log while
 * the live tables keep serving.
 *
 * It is migrated under a staging name and renamed when complete, so a shadow that exists is
 * always whole: a CLI killed half-way through the migrations leaves only a staging schema, which
 * the next run drops. `replay_shadow` remembers, per projection, the settings its tables were
 * built with; a run with other settings starts that projection over instead of resuming it.
 */
import type { Knex } from 'knex';
import { closePostgres, connectPostgres, migrateToLatest } from '../../platform/postgres';
import { CHECKPOINTS_TABLE, loadCheckpoint, resetCheckpoint } from '../framework/checkpoint-store';
import { readModelMigrations } from '../migrations';
import type { ReplayContext } from './context';
import type { ReplayKind } from './replay-lock';
import { tablesOfProjection } from './read-model-tables';

export function shadowSchemaOf(schema: string, kind: ReplayKind): string {
  return `${schema}_${kind}`;
}

export async function schemaExists(knex: Knex, schema: string): Promise<boolean> {
  const { rows } = (await knex.raw('select exists (select 1 from pg_namespace where nspname = ?) as found', [schema])) as {
    rows: { found: boolean }[];
  };
  return rows[0]?.found ?? false;
}

export async function dropSchema(knex: Knex, schema: string): Promise<void> {
  await knex.raw('drop schema if exists ?? cascade', [schema]);
}

/** Makes sure the shadow exists, whole; answers whether it was already there (a run to resume). */
export async function ensureShadowSchema(context: ReplayContext, shadow: string): Promise<{ resumed: boolean }> {
  const staging = `${shadow}_staging`;
  await dropSchema(context.knex, staging);
  if (await schemaExists(context.knex, shadow)) {
    // A run interrupted before an upgrade resumes after it: its tables get the migrations the
    // live schema has had since (0008 changes column types), or the swap would bring old ones back.
    const knex = connectPostgres({ url: context.databaseUrl, schema: shadow, pool: { max: 1 } });
    try {
      await migrateToLatest(knex, readModelMigrations, { schema: shadow });
    } finally {
      await closePostgres(knex);
    }
    return { resumed: true };
  }
  await context.knex.raw('create schema ??', [staging]);
  const knex = connectPostgres({ url: context.databaseUrl, schema: staging, pool: { max: 1 } });
  try {
    await migrateToLatest(knex, readModelMigrations, { schema: staging });
    await knex.schema.createTable('replay_shadow', (table) => {
      table.text('projection').primary();
      table.decimal('from_position', 20, 0).nullable();
      table.integer('low_stock_threshold').notNullable();
      table.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
  } finally {
    await closePostgres(knex);
  }
  await context.knex.raw('alter schema ?? rename to ??', [staging, shadow]);
  return { resumed: false };
}

export interface ShadowSettings {
  from: bigint | undefined;
  lowStockThreshold: number;
}

export interface ShadowStart {
  /** Where the shadow's projection resumes (undefined: from the start of the log). */
  readonly resumedAt: bigint | undefined;
  readonly resumed: boolean;
}

/**
 * Gets one projection's part of the shadow ready. `seed` runs (in the same transaction as the
 * bookkeeping, so a kill cannot leave it half done) when the projection starts afresh.
 */
export async function prepareShadowProjection(
  shadowKnex: Knex,
  name: string,
  settings: ShadowSettings,
  seed: (trx: Knex.Transaction) => Promise<void>,
): Promise<ShadowStart> {
  const recorded = (await shadowKnex('replay_shadow').where({ projection: name }).first()) as
    { from_position: string | null; low_stock_threshold: number } | undefined;
  const same =
    recorded &&
    recorded.low_stock_threshold === settings.lowStockThreshold &&
    (recorded.from_position ?? undefined) === settings.from?.toString();
  if (same) {
    const checkpoint = await loadCheckpoint(shadowKnex, name);
    return { resumed: true, resumedAt: checkpoint.position?.commit };
  }
  await shadowKnex.transaction(async (trx) => {
    const tables = tablesOfProjection[name] ?? [];
    // cascade: the shadow's outbox refers to its notifications, and is always empty.
    if (tables.length > 0) await trx.raw(`truncate table ${tables.map(() => '??').join(', ')} cascade`, tables);
    await trx(CHECKPOINTS_TABLE).insert({ projection: name }).onConflict('projection').ignore();
    await resetCheckpoint(trx, name);
    await seed(trx);
    await trx('replay_shadow')
      .insert({
        projection: name,
        from_position: settings.from?.toString() ?? null,
        low_stock_threshold: settings.lowStockThreshold,
        started_at: trx.fn.now(),
      })
      .onConflict('projection')
      .merge();
  });
  const checkpoint = await loadCheckpoint(shadowKnex, name);
  return { resumed: false, resumedAt: checkpoint.position?.commit };
}
