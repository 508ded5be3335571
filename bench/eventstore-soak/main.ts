/**
 * `npm run soak:eventstore` (not part of CI): mixed traffic against an in-process emulator for
 * SOAK_SECONDS (default 600), sampling memory every 10 s next to the log's size. Exits 1 if the
 * memory beyond the log grew by more than what the added records explain plus SOAK_MAX_GROWTH_MIB
 * (default 32).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EventStoreDBClient } from '@eventstore/db-client';
import { startEmulator } from '../../eventstore-emulator/emulator';
import { beyondLog, collectGarbage, measureCostPerRecord, mib, sample, type MemorySample } from './memory';
import { startWorkload } from './workload';

const soakSeconds = Number(process.env.SOAK_SECONDS ?? 600);
const maxGrowthMib = Number(process.env.SOAK_MAX_GROWTH_MIB ?? 32);
const SAMPLE_EVERY_SECONDS = 10;
// Compare against a point after warm-up (JIT, gRPC pools, client caches), not the start.
const baselineSeconds = Math.min(60, Math.floor(soakSeconds / 3));

const emulator = await startEmulator({ persistentTickMs: 200 });
const client = EventStoreDBClient.connectionString(emulator.url);
const indexCostPerRecord = await measureCostPerRecord(client, emulator.log);
let running = true;
const { counters, done } = startWorkload(client, () => running);

console.log(
  `soak: ${soakSeconds} s of mixed traffic; a record costs ${indexCostPerRecord.toFixed(0)} bytes beyond its data (measured through the client)`,
);
console.log(
  '   s |  RSS MiB | heap MiB | buffers MiB | log MiB | records | beyond log MiB | appends | reads | catch-up | persistent | errors',
);
const print = (s: MemorySample) =>
  console.log(
    [
      String(s.seconds).padStart(4),
      mib(s.rss).padStart(8),
      mib(s.heapUsed).padStart(8),
      mib(s.arrayBuffers).padStart(11),
      mib(s.logBytes).padStart(7),
      String(s.logRecords).padStart(7),
      mib(beyondLog(s)).padStart(14),
      String(counters.appends).padStart(7),
      String(counters.reads).padStart(5),
      String(counters.catchUpSubscriptions).padStart(8),
      String(counters.persistentSubscriptions).padStart(10),
      String(counters.errors).padStart(6),
    ].join(' | '),
  );

const started = Date.now();
let baseline: MemorySample | undefined;
for (let seconds = SAMPLE_EVERY_SECONDS; seconds <= soakSeconds; seconds += SAMPLE_EVERY_SECONDS) {
  await sleep(started + seconds * 1000 - Date.now());
  const isBaseline = !baseline && seconds >= baselineSeconds;
  if (isBaseline) collectGarbage();
  const current = sample(seconds, emulator.log);
  if (isBaseline) baseline = current;
  print(current);
}

running = false;
await done;
await sleep(1000); // let closed calls finish tearing down
collectGarbage();
const end = sample(Math.round((Date.now() - started) / 1000), emulator.log);
print(end);
await client.dispose();
await emulator.stop();

if (counters.persistentSkipped) console.log(`persistent subscriptions skipped: ${counters.persistentSkipped}`);
baseline ??= end;
const grown = beyondLog(end) - beyondLog(baseline);
const explained = (end.logRecords - baseline.logRecords) * indexCostPerRecord;
const unexplained = grown - explained;
console.log(
  `\nbeyond-log memory (heap + buffers - log bytes), after forced GC: ${mib(beyondLog(baseline))} MiB at ${baseline.seconds} s -> ${mib(beyondLog(end))} MiB at the end\n` +
    `grew ${mib(grown)} MiB; ${end.logRecords - baseline.logRecords} added records explain ${mib(explained)} MiB; unexplained ${mib(unexplained)} MiB (limit ${maxGrowthMib} MiB)`,
);
if (counters.errors > 0) console.log(`${counters.errors} operations failed (first few printed above)`);
const leaked = unexplained > maxGrowthMib * 1024 * 1024;
console.log(leaked ? 'FAIL: memory grew beyond what the log explains' : 'ok: no growth beyond the log');
process.exit(leaked ? 1 : 0);
