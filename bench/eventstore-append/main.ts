/**
 * `npm run bench:eventstore`: append throughput and `$all` catch-up read rate of the emulator,
 * through the real client, with the emulator in its own process. About 2.5 minutes.
 *
 *   BENCH_CELL_SECONDS  (default 3)        length of each append cell
 *   BENCH_READ_EVENTS   (default 1000000)  events in `$all` for the read measurement
 */
import { EventStoreDBClient } from '@eventstore/db-client';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAppendCell, type AppendCellResult } from './append-cell';
import { measureCatchUpSubscription, measureReadAll, seedEvents } from './catch-up-read';
import { spawnEmulator } from './emulator-process';
import { measureStorageAppends } from './storage-append';

const cellSeconds = Number(process.env.BENCH_CELL_SECONDS ?? 3);
const readEvents = Number(process.env.BENCH_READ_EVENTS ?? 1_000_000);
const BATCH_SIZES = [1, 10, 100];
const WRITER_COUNTS = [1, 16, 64];

const format = (value: number) => Math.round(value).toLocaleString('en-US');

async function appendTable(label: string, environment: Record<string, string>): Promise<AppendCellResult[]> {
  const emulator = await spawnEmulator(environment);
  const client = EventStoreDBClient.connectionString(emulator.url);
  try {
    // Warm up the channel, the capability check and both processes' JIT before measuring.
    await runAppendCell(client, { batchSize: 10, writers: 16, seconds: 1 }, `${label}-warmup`);
    const results: AppendCellResult[] = [];
    for (const batchSize of BATCH_SIZES) {
      for (const writers of WRITER_COUNTS) {
        const result = await runAppendCell(client, { batchSize, writers, seconds: cellSeconds }, `${label}-b${batchSize}-c${writers}`);
        results.push(result);
        process.stderr.write(`  ${label} batch ${batchSize} × ${writers} writers: ${format(result.appendsPerSecond)} appends/s\n`);
      }
    }
    return results;
  } finally {
    await client.dispose();
    await emulator.stop();
  }
}

function printAppendTable(label: string, results: AppendCellResult[]): void {
  console.log(`\nAppends, ${label} (${cellSeconds} s per cell, one client, each writer its own stream)\n`);
  console.log('| events/append | writers | appends/s | events/s | p50 ms | p99 ms |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.batchSize} | ${r.writers} | ${format(r.appendsPerSecond)} | ${format(r.eventsPerSecond)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} |`,
    );
  }
}

async function readBench(): Promise<void> {
  const emulator = await spawnEmulator();
  const client = EventStoreDBClient.connectionString(emulator.url);
  try {
    process.stderr.write(`  seeding ${format(readEvents)} events...\n`);
    const seedRate = await seedEvents(client, readEvents);
    const read = await measureReadAll(client);
    const subscription = await measureCatchUpSubscription(client);
    console.log(`\nCatch-up reads of $all (${format(read.events)} events, seeded at ${format(seedRate)} events/s in appends of 1,000)\n`);
    console.log('| reader | events/s | seconds |');
    console.log('| --- | ---: | ---: |');
    console.log(`| client.readAll() from start to end | ${format(read.eventsPerSecond)} | ${read.seconds.toFixed(1)} |`);
    console.log(
      `| client.subscribeToAll() from start until caughtUp | ${format(subscription.eventsPerSecond)} | ${subscription.seconds.toFixed(1)} |`,
    );
  } finally {
    await client.dispose();
    await emulator.stop();
  }
}

async function storageBench(): Promise<void> {
  console.log(`\nThe file log alone, no gRPC (fsync'd appends in ${tmpdir()}, ${cellSeconds} s each)\n`);
  console.log('| events/append | appends/s | events/s |');
  console.log('| ---: | ---: | ---: |');
  for (const batchSize of BATCH_SIZES) {
    const result = await measureStorageAppends(batchSize, cellSeconds);
    console.log(`| ${batchSize} | ${format(result.appendsPerSecond)} | ${format(result.eventsPerSecond)} |`);
  }
}

// Figures from a busy machine mislead: print the load next to them.
const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
const started = performance.now();
console.log(
  `Event store emulator bench — ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, load average ${load()}`,
);
printAppendTable('in-memory log', await appendTable('memory', {}));
const dataDirectory = mkdtempSync(join(tmpdir(), 'es-bench-'));
try {
  printAppendTable(`file log, fsync per append (${tmpdir()})`, await appendTable('file', { EVENTSTORE_EMULATOR_DATA_DIR: dataDirectory }));
} finally {
  rmSync(dataDirectory, { recursive: true, force: true });
}
await storageBench();
await readBench();
console.log(`\n(bench took ${((performance.now() - started) / 1000).toFixed(0)} s; load average at the end ${load()})`);
