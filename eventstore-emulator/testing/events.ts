/** Unique stream names and small batches of events for the emulator's tests. */
import { randomUUID } from 'node:crypto';
import { jsonEvent, type EventData, type JSONEventType } from '@eventstore/db-client';

export function uniqueStream(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** `count` events `{ i }` of one type. */
export function jsonEvents(count: number, type = 'TestEvent'): EventData<JSONEventType>[] {
  return Array.from({ length: count }, (_, i) => jsonEvent({ type, data: { i } }));
}

/** `count` events `{ n: offset + i }` of one type. */
export function numbered(count: number, type = 'Numbered', offset = 0) {
  return Array.from({ length: count }, (_, i) => jsonEvent({ type, data: { n: offset + i } }));
}
