/** What the real client reads back from the emulator, drained to the end. */
import { BACKWARDS, END, FORWARDS, START, type EventStoreDBClient } from '@eventstore/db-client';

/** Everything a read or a subscription yields, once it ends. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

export interface StoredEvent {
  id: string;
  revision: bigint;
  type: string;
}

/** Every event of the stream as the client reads it, oldest first. */
export async function readStreamEvents(client: EventStoreDBClient, stream: string): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const resolved of client.readStream(stream, { direction: FORWARDS, fromRevision: START })) {
    const event = resolved.event!;
    events.push({ id: event.id, revision: event.revision, type: event.type });
  }
  return events;
}

/** `$all` as the client reads it: one `stream@revision#commit` line per record. */
export async function readAllRecords(client: EventStoreDBClient): Promise<string[]> {
  const records: string[] = [];
  for await (const resolved of client.readAll({ direction: FORWARDS, fromPosition: START })) {
    const event = resolved.event!;
    records.push(`${event.streamId}@${event.revision}#${event.position?.commit}`);
  }
  return records;
}

export async function lastAllPosition(client: EventStoreDBClient): Promise<bigint | undefined> {
  let last: bigint | undefined;
  // Read to the end: leaving a client read early strands its gRPC stream, and the client's
  // dispose() then waits for it forever (client 6.2.1).
  for await (const resolved of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
    last = resolved.event?.position?.commit;
  }
  return last;
}
