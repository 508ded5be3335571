/**
 * The connection to EventStoreDB (or the emulator: same protocol, same client). One client per
 * process: it multiplexes every call over one gRPC channel and reconnects by itself.
 */
import { BACKWARDS, END, EventStoreDBClient } from '@eventstore/db-client';
import type { ReadinessCheck } from '../http/readiness';

export { EventStoreDBClient } from '@eventstore/db-client';

/** `url` as in EVENTSTORE_URL, e.g. `esdb://127.0.0.1:2113?tls=false`. */
export function connectEventStore(url: string): EventStoreDBClient {
  return EventStoreDBClient.connectionString(url);
}

export async function closeEventStore(client: EventStoreDBClient): Promise<void> {
  await client.dispose();
}

/**
 * Ready when the server answers a read of the last event in `$all` within `timeoutMs`: the
 * cheapest call that proves the connection and the server's read path both work.
 */
export function eventStoreReadinessCheck(client: EventStoreDBClient, { timeoutMs = 1000 }: { timeoutMs?: number } = {}): ReadinessCheck {
  return {
    name: 'eventstore',
    // The client's own deadline fires first; the outer timeout is a backstop.
    timeoutMs: timeoutMs + 500,
    async check() {
      const read = client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1, deadline: timeoutMs });
      for await (const _ of read) {
        // Draining the read is the check.
      }
    },
  };
}
