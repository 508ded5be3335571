/**
 * `replay status`: every projection's live checkpoint, how far it is behind the end of `$all`
 * (events and seconds, measured as /metrics does), and whether a rebuild is running or an
 * interrupted one waits to be resumed.
 */
import { Registry } from 'prom-client';
import { LAG_SCAN_LIMIT, ProjectorMetrics } from '../framework/metrics';
import type { ReplayContext } from './context';
import { positionOfRow } from '../framework/checkpoint-store';
import { checkpointRows } from './live-checkpoints';
import { isReplayRunning } from './replay-lock';
import { schemaExists, shadowSchemaOf } from './shadow-schema';
import { allProjections } from '../projections';
import { closePostgres, connectPostgres } from '../../platform/postgres';

export interface ProjectionStatusLine {
  readonly name: string;
  readonly checkpoint: { commit: string; prepare: string } | null;
  readonly eventsApplied: number;
  readonly lastEventAt: string | null;
  readonly lagEvents: number;
  readonly lagSeconds: number;
  readonly failure: string | null;
  /** null: no rebuild; otherwise where the shadow is. */
  readonly rebuild: { state: 'running' | 'interrupted'; checkpoint: string | null; eventsApplied: number } | null;
}

export interface StatusResult {
  readonly schema: string;
  readonly rebuildRunning: boolean;
  readonly lagScanLimit: number;
  readonly projections: readonly ProjectionStatusLine[];
}

export async function status(context: ReplayContext, names: readonly string[]): Promise<StatusResult> {
  const live = await checkpointRows(context.knex, names);
  const metrics = new ProjectorMetrics(new Registry(), context.client);
  for (const projection of allProjections({ lowStockThreshold: context.lowStockThreshold }).filter(({ name }) => names.includes(name))) {
    const row = live.get(projection.name);
    metrics.register(() => ({
      name: projection.name,
      streamPrefixes: projection.streamPrefixes,
      state: 'stopped',
      position: positionOfRow(row),
      lastEventAt: row?.last_event_at ?? undefined,
    }));
  }
  const lags = await metrics.lags();
  const running = await isReplayRunning(context.knex, context.schema, 'rebuild');
  const shadowSchema = shadowSchemaOf(context.schema, 'rebuild');
  const shadow = new Map<string, { checkpoint: string | null; eventsApplied: number }>();
  if (await schemaExists(context.knex, shadowSchema)) {
    const knex = connectPostgres({ url: context.databaseUrl, schema: shadowSchema, pool: { max: 1 } });
    try {
      const started = (await knex('replay_shadow').pluck('projection')) as string[];
      for (const [name, row] of await checkpointRows(knex, started))
        shadow.set(name, { checkpoint: row.commit_position, eventsApplied: Number(row.events_applied) });
    } finally {
      await closePostgres(knex);
    }
  }
  return {
    schema: context.schema,
    rebuildRunning: running,
    lagScanLimit: LAG_SCAN_LIMIT,
    projections: names.map((name) => {
      const row = live.get(name);
      const lag = lags.get(name);
      const inShadow = shadow.get(name);
      return {
        name,
        checkpoint: row?.commit_position && row.prepare_position ? { commit: row.commit_position, prepare: row.prepare_position } : null,
        eventsApplied: Number(row?.events_applied ?? 0),
        lastEventAt: row?.last_event_at ? new Date(row.last_event_at).toISOString() : null,
        lagEvents: lag?.events ?? 0,
        lagSeconds: lag?.seconds ?? 0,
        failure: row?.failure ?? null,
        rebuild: inShadow ? { state: running ? 'running' : 'interrupted', ...inShadow } : null,
      };
    }),
  };
}

export function describeStatus(result: StatusResult): string {
  const header = ['projection', 'checkpoint', 'applied', 'behind (events)', 'behind (s)', 'rebuild'];
  const rows = result.projections.map((line) => [
    line.name,
    line.checkpoint?.commit ?? '-',
    String(line.eventsApplied),
    line.lagEvents >= result.lagScanLimit ? `${line.lagEvents}+` : String(line.lagEvents),
    line.lagSeconds.toFixed(1),
    line.rebuild ? `${line.rebuild.state} at ${line.rebuild.checkpoint ?? 'start'} (${line.rebuild.eventsApplied} events)` : '-',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  const failures = result.projections.filter(({ failure }) => failure).map(({ name, failure }) => `${name} stopped: ${failure}`);
  return (
    [
      `schema ${result.schema}${result.rebuildRunning ? ' (a rebuild is running)' : ''}`,
      format(header),
      ...rows.map(format),
      ...failures,
    ].join('\n') + '\n'
  );
}
