import { randomUUID } from 'node:crypto';
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { BACKWARDS, END, FORWARDS, START, jsonEvent, type EventStoreDBClient, type JSONEventType, type EventData } from '@eventstore/db-client';
import type { RunningEmulator } from '../../emulator';
import { streamsGrpc } from '../proto';

/** Shared by the append, delete and malformed-input integration tests. */

export function uniqueStream(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export function jsonEvents(count: number, type = 'TestEvent'): EventData<JSONEventType>[] {
  return Array.from({ length: count }, (_, i) => jsonEvent({ type, data: { i } }));
}

/** The rejection of `promise`, asserted to be one; resolves throw so a test cannot pass by accident. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the call to fail, but it succeeded.');
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

/**
 * Counts what the emulator receives of one request type by wrapping the generated class's
 * `deserializeBinary` — the server's grpc layer calls it once per received message. The client
 * never deserializes requests, so only server-side receipts are counted.
 */
export function spyOnReceived<T>(messageClass: { deserializeBinary(bytes: Uint8Array): T }, onReceived: (message: T) => void): () => void {
  const original = messageClass.deserializeBinary;
  messageClass.deserializeBinary = (bytes: Uint8Array) => {
    const message = original.call(messageClass, bytes);
    onReceived(message);
    return message;
  };
  return () => {
    messageClass.deserializeBinary = original;
  };
}

/** A plain grpc-js client on the emulator, for input the real client never sends. */
export function rawStreamsClient(emulator: RunningEmulator): InstanceType<typeof streamsGrpc.StreamsClient> {
  return new streamsGrpc.StreamsClient(`${emulator.host}:${emulator.port}`, grpcCredentials.createInsecure());
}

export function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}
