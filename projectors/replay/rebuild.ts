/**
 * `replay rebuild <name...> | --all`: a blue-green rebuild. The shadow schema is filled from the
 * log by the projections' own runners while the live tables keep serving; once caught up, the
 * shadow's tables are swapped in, in one transaction (swap.ts). Killed and run again, it resumes
 * from the shadow's checkpoints.
 */
import type { Knex } from 'knex';
import { closePostgres, connectPostgres } from '../../platform/postgres';
import { buildShadowToLive, eventsApplied, type ShadowRunOptions } from './build-shadow';
import { rebuildProjections, type ReplayContext } from './context';
import { ExitCode, ReplayError } from './errors';
import { assertPartialReplaySupported, seedPartialReplay } from './partial-replay';
import { takeReplayLock } from './replay-lock';
import { ensureShadowSchema, prepareShadowProjection, shadowSchemaOf } from './shadow-schema';
import { planSwap, swapShadowIn, validateForeignKeys, type SwapResult } from './swap';

/** Once `liveWaitMs` has passed, the swap goes ahead with a live writer still behind the shadow. */
export interface RebuildOptions extends ShadowRunOptions {
  projections: readonly string[];
  /** Swap without asking. */
  yes: boolean;
}

export interface RebuildResult extends SwapResult {
  readonly schema: string;
  readonly shadowSchema: string;
  readonly resumed: readonly string[];
  readonly eventsApplied: number;
  readonly seconds: number;
  readonly warnings: readonly string[];
}

export async function rebuild(context: ReplayContext, options: RebuildOptions): Promise<RebuildResult> {
  const started = performance.now();
  const names = [...options.projections];
  if (options.from !== undefined) assertPartialReplaySupported(names);
  const plan = await planSwap(context.knex, context.schema, names);
  const shadowSchema = shadowSchemaOf(context.schema, 'rebuild');

  const lock = await takeReplayLock(context.databaseUrl, context.schema, 'rebuild');
  let shadowKnex: Knex | undefined;
  try {
    await confirm(
      context,
      `rebuild ${names.join(', ')} ${options.from === undefined ? 'from the start of the log' : `from position ${options.from}`} in schema ${shadowSchema}, then swap ${plan.tables.length} tables${plan.views.length > 0 ? ` (and ${plan.views.length} view${plan.views.length > 1 ? 's' : ''})` : ''} into ${context.schema}`,
      plan.tables.length,
      options.yes,
    );

    await ensureShadowSchema(context, shadowSchema);
    shadowKnex = connectPostgres({
      url: context.databaseUrl,
      schema: shadowSchema,
      applicationName: `replay:${shadowSchema}`,
      pool: { max: names.length + 2 },
    });
    const resumed: string[] = [];
    for (const name of names) {
      const start = await prepareShadowProjection(
        shadowKnex,
        name,
        { from: options.from, lowStockThreshold: context.lowStockThreshold },
        async (trx) => {
          if (options.from !== undefined) await seedPartialReplay(trx, context, name, options.from);
        },
      );
      if (start.resumed) {
        resumed.push(name);
        context.stderr.write(`${name}: resuming the shadow from position ${start.resumedAt ?? 'the start'}\n`);
      }
    }

    const projections = rebuildProjections(context, names);
    const { behind } = await buildShadowToLive(context, { knex: shadowKnex, schema: shadowSchema, label: 'rebuild' }, projections, options);
    if (behind.length > 0)
      context.stderr.write(
        `live ${behind.join(', ')} behind the shadow and not moving: the swap moves ${behind.length > 1 ? 'their' : 'its'} checkpoint forward to the shadow's\n`,
      );

    const swapped = await swapShadowIn(context, { shadowSchema, projections, plan });
    const problems = await validateForeignKeys(context);
    return {
      ...swapped,
      schema: context.schema,
      shadowSchema,
      resumed,
      eventsApplied: await eventsApplied(context.knex, projections),
      seconds: (performance.now() - started) / 1000,
      warnings: problems.map((problem) => `a foreign key onto the rebuilt tables does not hold and stays NOT VALID: ${problem}`),
    };
  } finally {
    if (shadowKnex) await closePostgres(shadowKnex);
    await lock.release();
  }
}

async function confirm(context: ReplayContext, what: string, tables: number, yes: boolean): Promise<void> {
  if (yes) return;
  if (!context.interactive)
    throw new ReplayError(`refusing to swap ${tables} tables without confirmation: no terminal to ask on, pass --yes`, ExitCode.declined);
  const answer = await context.ask(`${what}.\nswap ${tables} tables? [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) throw new ReplayError('not confirmed; nothing was changed', ExitCode.declined);
}

export function describeRebuild(result: RebuildResult): string {
  const lines = [
    `rebuilt ${result.projections.map(({ name }) => name).join(', ')} in ${result.seconds.toFixed(1)} s (${result.eventsApplied} events${result.resumed.length > 0 ? `, resumed ${result.resumed.join(', ')}` : ''})`,
    `swapped ${result.tables.length} table${result.tables.length === 1 ? '' : 's'} (${result.tables.join(', ')})${result.views.length > 0 ? ` and views ${result.views.join(', ')}` : ''} into ${result.schema}; live writers paused ${result.pauseMs.toFixed(0)} ms`,
    ...result.projections.map(
      ({ name, position, folded, movedLiveForward }) =>
        `  ${name}: at position ${position?.commit ?? 'none'}${folded > 0 ? `, ${folded} events folded in during the swap` : ''}${movedLiveForward ? ', live checkpoint moved forward to the rebuild' : ''}`,
    ),
    ...result.warnings.map((warning) => `warning: ${warning}`),
  ];
  return `${lines.join('\n')}\n`;
}
