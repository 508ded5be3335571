/**
 * Finding what an earlier attempt under the same idempotency key wrote. Another attempt (a retry
 * after a crash, an instance that took an idempotency claim over from this one, or the other way
 * round) may have written the command's events already, and deciding again on a stream that holds
 * them would apply the command twice: then those events are the outcome.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import { deterministicEventId } from './event-ids';
import { readStreamEvents, type FoldedStream, type ReadOptions, type StreamFold } from './read-stream';
import type { DomainEvent, Position, StreamRevision } from './types';

/** Where an earlier attempt's events end in the stream. */
export interface WrittenUnderKey {
  revision: bigint;
  position: Position | undefined;
}

/** The ids of the events written under `key`, derived from the stream and the key. */
export function keyedEventName(streamName: string, key: string): string {
  return `${streamName}/${key}`;
}

/** Looking for an earlier attempt's events: the key it wrote them under, and how to decode the stream. */
export interface UnlessWrittenOptions<Event extends DomainEvent> extends Pick<ReadOptions<Event>, 'codec'> {
  key: string;
}

/**
 * The stream folded, and where the events an attempt under `key` wrote to it end, if any attempt
 * did: one read answers both.
 */
export async function foldUnlessWritten<Event extends DomainEvent, State>(
  client: EventStoreDBClient,
  streamName: string,
  fold: StreamFold<Event, State>,
  { key, codec }: UnlessWrittenOptions<Event>,
): Promise<FoldedStream<State> & { written: WrittenUnderKey | undefined }> {
  const { events } = await readStreamEvents(client, streamName, codec ? { codec } : {});
  let state = fold.initialState();
  let revision: StreamRevision = 'no_stream';
  let matched = 0;
  let written: WrittenUnderKey | undefined;
  for (const recorded of events) {
    state = fold.evolve(state, recorded.event, recorded.revision);
    revision = recorded.revision;
    if (recorded.id === deterministicEventId(keyedEventName(streamName, key), matched)) {
      matched++;
      written = { revision: recorded.revision, position: recorded.position };
    }
  }
  return { state, revision, written };
}
