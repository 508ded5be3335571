/**
 * Rebuild benchmark: `npm run bench:rebuild`.
 *
 * 1. A log of BENCH_EVENTS (1,000,000) events of a realistic mix (event-mix.ts: products, stock,
 *    checkouts confirmed, declined, timed out, cancelled, out of stock) is written into an
 *    emulator data directory (seed-log.ts, in a process of its own so its memory is gone before
 *    the rebuild's is measured), and the emulator starts on it in its own process.
 * 2. Rebuild: every read model is built from the start of the log into an empty schema by the
 *    projectors' own runners (sharing one `$all` subscription, as `npm run replay -- rebuild`
 *    runs them; BENCH_SHARED_FEED=0 gives each its own, as the live service does; batches of
 *    BENCH_BATCH_SIZE, notifications recorded but not sent), until every projection is live.
 *    Events/s = events in the log ÷ that time. The peak RSS of this process (the projectors) and
 *    of the emulator process are sampled throughout, so a growing footprint shows.
 * 3. In the same run, the limits it is held against: the time to COPY the final rows of every
 *    read-model table into empty copies (same columns, indexes and constraints), and the time for
 *    one bare catch-up subscription to read the whole log through the client.
 *
 * Targets (issue 6): ≥ 50,000 events/s; rebuild ≤ 2× the COPY time; memory flat.
 *   BENCH_EVENTS, BENCH_BATCH_SIZE (500), BENCH_SLICE_ORDERS (300), BENCH_READ_BASELINE (1 = on),
 *   BENCH_SHARED_FEED (1 = on)
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { Registry } from 'prom-client';
import { closeEventStore, connectEventStore } from '../../platform/eventstore';
import { createLogger } from '../../platform/logger';
import { closePostgres, connectPostgres, migrateToLatest, type Knex } from '../../platform/postgres';
import { TEST_DATABASE_URL } from '../../platform/testing/postgres-schema';
import { ProjectorMetrics } from '../../projectors/framework/metrics';
import { ProjectionRunner } from '../../projectors/framework/runner';
import { SharedFeed } from '../../projectors/framework/shared-feed';
import type { Position } from '../../projectors/framework/types';
import { readModelMigrations } from '../../projectors/migrations';
import { allProjections } from '../../projectors/projections';
import { measureCatchUpSubscription } from '../eventstore-append/catch-up-read';
import { spawnEmulator } from '../eventstore-append/emulator-process';

const SEED_PROCESS = new URL('./seed-process.ts', import.meta.url).pathname;

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 500);
const SLICE_ORDERS = Number(process.env.BENCH_SLICE_ORDERS ?? 300);
const READ_BASELINE = process.env.BENCH_READ_BASELINE !== '0';
/** 1 (default): the projections share one subscription, as `replay rebuild` runs them; 0: one each, as the live service. */
const SHARED_FEED = process.env.BENCH_SHARED_FEED !== '0';
const DATABASE_URL = process.env.DATABASE_URL ?? TEST_DATABASE_URL;

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
const seconds = (ms: number) => Number((ms / 1000).toFixed(2));

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

// The live heap is what a forced full GC leaves: RSS alone also counts garbage not yet collected
// and pages the allocator keeps, so it cannot tell "flat" from "growing".
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const LIVE_HEAP_EVERY_MS = 10_000;

/**
 * Samples the RSS of this process and the emulator (peak of each half of the run), and every
 * 10 s this process's live heap (heap used + array buffers after a forced GC).
 */
function sampleMemory(emulatorPid: number) {
  const samples: { at: number; own: number; emulator: number }[] = [];
  const live: number[] = [];
  const timer = setInterval(
    () => samples.push({ at: performance.now(), own: process.memoryUsage.rss(), emulator: rssOf(emulatorPid) }),
    250,
  );
  const liveTimer = setInterval(() => {
    collectGarbage();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    live.push(heapUsed + arrayBuffers);
  }, LIVE_HEAP_EVERY_MS);
  return {
    stop() {
      clearInterval(timer);
      clearInterval(liveTimer);
      const half = Math.floor(samples.length / 2);
      const peak = (list: typeof samples, key: 'own' | 'emulator') => mib(Math.max(0, ...list.map((sample) => sample[key])));
      return {
        projectorsPeakMiB: peak(samples, 'own'),
        projectorsPeakFirstHalfMiB: peak(samples.slice(0, half), 'own'),
        projectorsPeakSecondHalfMiB: peak(samples.slice(half), 'own'),
        /** Every 10 s of the rebuild, in order. */
        projectorsLiveHeapMiB: live.map(mib),
        emulatorPeakMiB: peak(samples, 'emulator'),
        emulatorPeakFirstHalfMiB: peak(samples.slice(0, half), 'emulator'),
        emulatorPeakSecondHalfMiB: peak(samples.slice(half), 'emulator'),
      };
    },
  };
}

async function rebuildAll(client: EventStoreDBClient, knex: Knex, schema: string) {
  const logger = createLogger({ service: 'bench-rebuild', level: 'warn' });
  const metrics = new ProjectorMetrics(new Registry(), client);
  const projections = allProjections({ lowStockThreshold: 5, writeOutbox: false });
  // As a rebuild of several read models does: one subscription read and decoded once, for all of them.
  const shared = SHARED_FEED ? new SharedFeed(client, { after: undefined }) : undefined;
  for (const projection of projections) shared?.join(projection.name, projection.streamPrefixes);
  const runners = projections.map(
    (projection) =>
      new ProjectionRunner(projection, {
        knex,
        client,
        databaseUrl: DATABASE_URL,
        schema,
        logger,
        metrics,
        batch: { maxEvents: BATCH_SIZE },
        ...(shared ? { feed: (p: typeof projection, after: Position | undefined) => shared.feedFor(p.name, p.streamPrefixes, after) } : {}),
      }),
  );
  const started = performance.now();
  for (const runner of runners) runner.start();
  const perProjection: Record<string, number> = {};
  await Promise.all(
    runners.map(async (runner) => {
      await runner.waitUntil((r) => r.state === 'live', 3_600_000);
      perProjection[runner.projection.name] = seconds(performance.now() - started);
    }),
  );
  const elapsed = performance.now() - started;
  await Promise.all(runners.map((runner) => runner.stop()));
  await shared?.close();
  return { elapsedMs: elapsed, liveAfterSeconds: perProjection };
}

/** Base tables of the read models with their row counts (the migrations' bookkeeping aside). */
async function readModelTables(knex: Knex, schema: string): Promise<{ table: string; rows: number }[]> {
  const tables = (await knex('information_schema.tables')
    .where({ table_schema: schema, table_type: 'BASE TABLE' })
    .whereNotIn('table_name', ['knex_migrations', 'knex_migrations_lock'])
    .orderBy('table_name')
    .pluck('table_name')) as string[];
  return Promise.all(
    tables.map(async (table) => ({
      table,
      rows: Number(((await knex.withSchema(schema).from(table).count({ n: '*' })) as [{ n: string }])[0].n),
    })),
  );
}

/** COPY every table's rows into an empty copy of it (same columns, indexes, constraints), one after another. */
async function copyIntoEmptyTables(knex: Knex, schema: string, tables: readonly string[]): Promise<number> {
  const target = `${schema}_copy`;
  await knex.raw('create schema ??', [target]);
  try {
    for (const table of tables) await knex.raw('create table ??.?? (like ??.?? including all)', [target, table, schema, table]);
    const reader = (await (knex.client as { acquireRawConnection(): Promise<pg.Client> }).acquireRawConnection()) as pg.Client;
    const writer = (await (knex.client as { acquireRawConnection(): Promise<pg.Client> }).acquireRawConnection()) as pg.Client;
    try {
      const started = performance.now();
      for (const table of tables) {
        // Generated columns are computed again on the way in, as the projections' inserts have them computed.
        const columns = (await knex('information_schema.columns')
          .where({ table_schema: schema, table_name: table, is_generated: 'NEVER' })
          .orderBy('ordinal_position')
          .pluck('column_name')) as string[];
        const list = columns.map((column) => `"${column}"`).join(', ');
        await pipeline(
          reader.query(copyTo(`copy "${schema}"."${table}" (${list}) to stdout with (format binary)`)),
          writer.query(copyFrom(`copy "${target}"."${table}" (${list}) from stdin with (format binary)`)),
        );
      }
      return performance.now() - started;
    } finally {
      await reader.end();
      await writer.end();
    }
  } finally {
    await knex.raw('drop schema if exists ?? cascade', [target]);
  }
}

console.log(
  `rebuild bench: ${EVENTS.toLocaleString('en')} events; ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, load average at start ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);

const directory = mkdtempSync(join(tmpdir(), 'rebuild-bench-'));
const schema = `bench_rebuild_${process.pid}`;
const knex = connectPostgres({ url: DATABASE_URL, schema, pool: { max: 10 }, applicationName: 'bench-rebuild' });
let emulator: Awaited<ReturnType<typeof spawnEmulator>> | undefined;
let client: EventStoreDBClient | undefined;
try {
  let phase = performance.now();
  const seeded = execFileSync(process.execPath, ['--import', 'tsx', SEED_PROCESS, directory, String(EVENTS), String(SLICE_ORDERS)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { written, sliceEvents } = JSON.parse(seeded.trim().split('\n').at(-1)!) as { written: number; sliceEvents: number };
  console.log(
    `seeded ${written.toLocaleString('en')} events (${Math.ceil(written / sliceEvents)} copies of a ${sliceEvents}-event slice) in ${seconds(performance.now() - phase)} s`,
  );

  phase = performance.now();
  emulator = await spawnEmulator({ EVENTSTORE_EMULATOR_DATA_DIR: directory });
  client = connectEventStore(emulator.url);
  console.log(`emulator loaded the log in ${seconds(performance.now() - phase)} s`);

  await knex.raw('create schema ??', [schema]);
  await migrateToLatest(knex, readModelMigrations, { schema });

  const memory = sampleMemory(emulator.pid);
  const rebuild = await rebuildAll(client, knex, schema);
  const footprint = memory.stop();
  const eventsPerSecond = Math.round(written / (rebuild.elapsedMs / 1000));
  console.log(
    `rebuild: ${seconds(rebuild.elapsedMs)} s, ${eventsPerSecond.toLocaleString('en')} events/s; each projection live after (s): ${JSON.stringify(rebuild.liveAfterSeconds)}`,
  );

  const tables = await readModelTables(knex, schema);
  const copyMs = await copyIntoEmptyTables(
    knex,
    schema,
    tables.map(({ table }) => table),
  );
  const rows = tables.reduce((sum, { rows: n }) => sum + n, 0);
  console.log(
    `COPY of the final rows (${rows.toLocaleString('en')} rows in ${tables.length} tables) into empty copies: ${seconds(copyMs)} s`,
  );

  // One bare catch-up subscription over the whole log, until caught up: the read side's floor.
  const read = READ_BASELINE ? await measureCatchUpSubscription(client) : undefined;
  if (read)
    console.log(
      `one bare catch-up subscription over the log: ${read.seconds.toFixed(2)} s (${Math.round(read.eventsPerSecond).toLocaleString('en')} events/s)`,
    );

  const ratio = rebuild.elapsedMs / copyMs;
  const figures = {
    bench: 'rebuild',
    sharedFeed: SHARED_FEED,
    events: written,
    rebuildSeconds: seconds(rebuild.elapsedMs),
    eventsPerSecond,
    liveAfterSeconds: rebuild.liveAfterSeconds,
    rows: Object.fromEntries(tables.map(({ table, rows: n }) => [table, n])),
    copySeconds: seconds(copyMs),
    rebuildToCopyRatio: Number(ratio.toFixed(1)),
    ...(read ? { bareReadSeconds: Number(read.seconds.toFixed(2)), bareReadEventsPerSecond: Math.round(read.eventsPerSecond) } : {}),
    memory: footprint,
    loadAverageAtEnd: loadavg().map((n) => Number(n.toFixed(2))),
  };
  console.log(JSON.stringify(figures));
  console.log(
    `events/s ${eventsPerSecond.toLocaleString('en')} against the target ≥ 50,000: ${eventsPerSecond >= 50_000 ? 'met' : 'MISSED'}`,
  );
  console.log(`rebuild ${figures.rebuildToCopyRatio}× the COPY time against the target ≤ 2×: ${ratio <= 2 ? 'met' : 'MISSED'}`);
  console.log(
    `peak RSS: projectors ${footprint.projectorsPeakMiB} MiB (first half ${footprint.projectorsPeakFirstHalfMiB}, second half ${footprint.projectorsPeakSecondHalfMiB}); emulator ${footprint.emulatorPeakMiB} MiB (it holds the whole log in memory)`,
  );
  console.log(
    `live heap of the projectors after a forced GC, every 10 s: ${footprint.projectorsLiveHeapMiB.join(', ') || '(rebuild under 10 s)'} MiB`,
  );
} finally {
  await knex.raw('drop schema if exists ?? cascade', [schema]).catch(() => undefined);
  await closePostgres(knex);
  await emulator?.stop();
  if (client) await closeEventStore(client).catch(() => undefined);
  rmSync(directory, { recursive: true, force: true });
}
process.exit(0);
