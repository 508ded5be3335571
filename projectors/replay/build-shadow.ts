/**
 * Fills the shadow from the log with the projector's own ProjectionRunner (the path a benchmark
 * of the runner measures), until every projection is caught up with the head of `$all`; then
 * stops them, each after the batch in flight, and answers where each stands.
 */
import type { Knex } from 'knex';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProjectionRunner } from '../framework/runner';
import { SharedFeed } from '../framework/shared-feed';
import type { Position, Projection } from '../framework/types';
import { CHECKPOINTS_TABLE } from '../framework/checkpoint-store';
import type { ReplayContext } from './context';
import { ExitCode, ReplayError } from './errors';
import { waitForLiveToReach } from './live-checkpoints';
import { createProgress, type Progress } from './progress';

export interface BuildOptions {
  shadowKnex: Knex;
  shadowSchema: string;
  projections: readonly Projection[];
  batchSize: number;
  progress: Progress;
  /** The number of events to apply, when it can be estimated (answered afresh on every tick). */
  expectedEvents: () => Promise<number | undefined>;
  /** Aborted (Ctrl-C): stop after the batches in flight; the shadow keeps what they committed. */
  signal?: AbortSignal;
}

export async function buildShadow(context: ReplayContext, options: BuildOptions): Promise<Map<string, Position | undefined>> {
  const { shadowKnex, shadowSchema, projections, batchSize, progress, signal } = options;
  // One subscription read and decoded once for every projection that starts from the beginning;
  // one resuming from its own shadow checkpoint gets a subscription of its own (shared-feed.ts).
  const shared = new SharedFeed(context.client, { after: undefined });
  for (const projection of projections) shared.join(projection.name, projection.streamPrefixes);
  const runners = projections.map((projection) =>
    new ProjectionRunner(projection, {
      knex: shadowKnex,
      client: context.client,
      databaseUrl: context.databaseUrl,
      schema: shadowSchema,
      logger: context.logger,
      batch: { maxEvents: batchSize },
      feed: (each, after) => shared.feedFor(each.name, each.streamPrefixes, after),
    }).start(),
  );
  try {
    for (;;) {
      const failed = runners.find((runner) => runner.state === 'failed');
      if (failed)
        throw new ReplayError(
          `the rebuild stopped, nothing was swapped: ${failed.failure?.message ?? `${failed.projection.name} failed`}`,
          ExitCode.failed,
        );
      progress.update(await eventsApplied(shadowKnex, projections), await options.expectedEvents());
      if (signal?.aborted)
        throw new ReplayError(
          'interrupted; the shadow keeps what it has built: run the same command again to resume',
          ExitCode.interrupted,
        );
      if (runners.every((runner) => runner.state === 'live')) break;
      await sleep(200);
    }
  } finally {
    await Promise.all(runners.map((runner) => runner.stop()));
    await shared.close();
  }
  const done = await eventsApplied(shadowKnex, projections);
  progress.update(done, Math.max(done, (await options.expectedEvents()) ?? done));
  progress.stop();
  return new Map(runners.map((runner) => [runner.projection.name, runner.position]));
}

/** What a rebuild and a verify ask of their shadow. */
export interface ShadowRunOptions {
  /** A partial replay's start; undefined: the start of the log. */
  from?: bigint | undefined;
  batchSize?: number | undefined;
  /** How long to wait for a live writer to reach the shadow (default 5 s). */
  liveWaitMs?: number;
  signal?: AbortSignal;
}

/**
 * Fills the shadow of `projections` (each prepared: shadow-schema.ts), then waits until the live
 * projections reach it. Answers where the shadow stands and the live projections still behind it
 * (their writer is stopped, failed or far behind).
 */
export async function buildShadowToLive(
  context: ReplayContext,
  shadow: { knex: Knex; schema: string; label: string },
  projections: readonly Projection[],
  options: ShadowRunOptions,
): Promise<{ shadowAt: Map<string, Position | undefined>; behind: string[] }> {
  const shadowAt = await buildShadow(context, {
    shadowKnex: shadow.knex,
    shadowSchema: shadow.schema,
    projections,
    batchSize: options.batchSize ?? context.defaultBatchSize,
    progress: createProgress({ label: shadow.label, stream: context.stderr, tty: context.interactive }),
    // What the live projections applied is what the shadow has to: a fair total. A partial
    // replay has no such figure.
    expectedEvents: async () => (options.from === undefined ? eventsApplied(context.knex, projections) : undefined),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { shadowAt, behind: await waitForLiveToReach(context.knex, shadowAt, options.liveWaitMs ?? 5000) };
}

/** The events the checkpoint rows of `projections` count as applied, in all. */
export async function eventsApplied(knex: Knex, projections: readonly Projection[]): Promise<number> {
  const row = (await knex(CHECKPOINTS_TABLE)
    .whereIn(
      'projection',
      projections.map(({ name }) => name),
    )
    .sum({ n: 'events_applied' })
    .first()) as { n: string | number | null } | undefined;
  return Number(row?.n ?? 0);
}
