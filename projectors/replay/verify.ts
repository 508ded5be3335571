/**
 * `replay verify <name...> | --all`: rebuilds into a shadow of its own, brings it to exactly the
 * live checkpoint, and compares the two row by row; no swap, the shadow is dropped after. The
 * comparison runs in one REPEATABLE READ transaction: the live rows and the live checkpoint it
 * sees are the same commit's, while the live writers go on undisturbed.
 */
import { closePostgres, connectPostgres } from '../../platform/postgres';
import { buildShadowToLive, type ShadowRunOptions } from './build-shadow';
import { compareTable, describeDifference, type TableComparison } from './compare-tables';
import { rebuildProjections, type ReplayContext } from './context';
import { ExitCode, ReplayError } from './errors';
import { foldRange } from './fold-range';
import { positionOfRow } from '../framework/checkpoint-store';
import { checkpointRows, isBefore } from './live-checkpoints';
import { assertPartialReplaySupported, seedPartialReplay } from './partial-replay';
import { tablesOfProjection } from './read-model-tables';
import { takeReplayLock } from './replay-lock';
import { dropSchema, ensureShadowSchema, prepareShadowProjection, shadowSchemaOf } from './shadow-schema';

export interface VerifyOptions extends ShadowRunOptions {
  projections: readonly string[];
}

export interface VerifyResult {
  readonly schema: string;
  /** Per projection, the position both sides were compared at. */
  readonly comparedAt: Readonly<Record<string, string | null>>;
  readonly differences: number;
  readonly tables: readonly TableComparison[];
}

export async function verify(context: ReplayContext, options: VerifyOptions): Promise<VerifyResult> {
  const names = [...options.projections];
  if (options.from !== undefined) assertPartialReplaySupported(names);
  const shadowSchema = shadowSchemaOf(context.schema, 'verify');
  const lock = await takeReplayLock(context.databaseUrl, context.schema, 'verify');
  try {
    await dropSchema(context.knex, shadowSchema); // a verify does not resume: left over from a killed one
    await ensureShadowSchema(context, shadowSchema);
    const shadowKnex = connectPostgres({
      url: context.databaseUrl,
      schema: shadowSchema,
      applicationName: `replay:${shadowSchema}`,
      pool: { max: names.length + 2 },
    });
    try {
      for (const name of names) {
        await prepareShadowProjection(
          shadowKnex,
          name,
          { from: options.from, lowStockThreshold: context.lowStockThreshold },
          async (trx) => {
            if (options.from !== undefined) await seedPartialReplay(trx, context, name, options.from);
          },
        );
      }
      const projections = rebuildProjections(context, names);
      const { behind } = await buildShadowToLive(
        context,
        { knex: shadowKnex, schema: shadowSchema, label: 'verify' },
        projections,
        options,
      );
      if (behind.length > 0) {
        throw new ReplayError(
          `cannot compare ${behind.join(', ')} at the same checkpoint: the live projection is behind the rebuild and not moving (is the projectors service running?)`,
          ExitCode.failed,
        );
      }
      return await context.knex.transaction(
        async (trx) => {
          const live = await checkpointRows(trx, names); // the snapshot's first read: rows and checkpoints of one moment
          await trx.raw('set local search_path to ??', [shadowSchema]);
          const shadow = await checkpointRows(trx, names);
          const comparedAt: Record<string, string | null> = {};
          for (const projection of projections) {
            const liveAt = positionOfRow(live.get(projection.name));
            const shadowAt = positionOfRow(shadow.get(projection.name));
            if (isBefore(shadowAt, liveAt)) await foldRange(trx, context.client, projection, { after: shadowAt, through: liveAt! });
            comparedAt[projection.name] = liveAt?.commit.toString() ?? null;
          }
          const tables: TableComparison[] = [];
          for (const name of names)
            for (const table of tablesOfProjection[name] ?? []) tables.push(await compareTable(trx, context.schema, shadowSchema, table));
          return {
            schema: context.schema,
            comparedAt,
            differences: tables.reduce((total, { differences }) => total + differences, 0),
            tables,
          };
        },
        { isolationLevel: 'repeatable read' },
      );
    } finally {
      await closePostgres(shadowKnex);
    }
  } finally {
    await dropSchema(context.knex, shadowSchema).catch(() => undefined);
    await lock.release();
  }
}

export function describeVerify(result: VerifyResult): string {
  const at = Object.entries(result.comparedAt)
    .map(([name, position]) => `${name}@${position ?? 'start'}`)
    .join(', ');
  if (result.differences === 0) return `no differences: ${result.tables.length} tables match a fresh rebuild (${at})\n`;
  const lines = [`${result.differences} difference${result.differences > 1 ? 's' : ''} from a fresh rebuild (${at}):`];
  for (const table of result.tables.filter(({ differences }) => differences > 0)) {
    lines.push(
      `  ${table.table}: ${table.differences} row${table.differences > 1 ? 's' : ''} differ${table.differences > 1 ? '' : 's'}${table.differences > table.first.length ? `, the first ${table.first.length}:` : ':'}`,
    );
    for (const difference of table.first) lines.push(`    ${describeDifference(difference)}`);
  }
  return `${lines.join('\n')}\n`;
}
