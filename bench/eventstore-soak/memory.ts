import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EventLog } from '../../eventstore-emulator/log/event-log';

/** A full GC on demand without needing `node --expose-gc` on the command line. */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

export interface MemorySample {
  seconds: number;
  rss: number;
  heapUsed: number;
  /** ArrayBuffer memory outside the JS heap: where event data and metadata bytes live. */
  arrayBuffers: number;
  logRecords: number;
  logBytes: number;
}

export function sample(seconds: number, log: EventLog): MemorySample {
  const usage = process.memoryUsage();
  return {
    seconds,
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    arrayBuffers: usage.arrayBuffers,
    logRecords: log.length,
    logBytes: log.bytesHeld,
  };
}

/** Memory the process holds beyond the log's own bytes: flat over a soak unless something leaks (or the index grows). */
export function beyondLog(sample: MemorySample): number {
  return sample.heapUsed + sample.arrayBuffers - sample.logBytes;
}

/**
 * What one more record legitimately costs beyond its bytes (record object, index entries, id
 * map, and whatever the gRPC decoding keeps alive), measured by appending through the client
 * before the soak starts, so the verdict can tell index growth from a leak. Measuring on a
 * private EventLog instead undercounts: records decoded from gRPC messages cost ~200 bytes more.
 */
export async function measureCostPerRecord(client: EventStoreDBClient, log: EventLog, appends = 4000): Promise<number> {
  const append = (i: number) =>
    client.appendToStream(
      `soak-calibration-${i % 500}`,
      Array.from({ length: 5 }, (_, j) =>
        jsonEvent({ type: 'ItemAddedToCart', data: { sku: `SKU-${j}`, quantity: 1 + j, unitPriceCents: 1299 } }),
      ),
    );
  for (let i = 0; i < 200; i++) await append(i); // warm-up: JIT, channel, capability cache
  collectGarbage();
  const before = { memory: process.memoryUsage(), records: log.length, bytes: log.bytesHeld };
  for (let i = 0; i < appends; i++) await append(i);
  collectGarbage();
  const after = process.memoryUsage();
  const grown =
    after.heapUsed + after.arrayBuffers - (before.memory.heapUsed + before.memory.arrayBuffers) - (log.bytesHeld - before.bytes);
  return Math.max(0, grown / (log.length - before.records));
}

export const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
