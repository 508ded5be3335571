/**
 * Appending events with an expected revision (optimistic concurrency) and the metadata every
 * event carries. A conflict comes back as our VersionConflictError, not the client's error.
 */
import { WrongExpectedVersionError, jsonEvent, type EventStoreDBClient, type JSONType } from '@eventstore/db-client';
import { VersionConflictError } from './errors';
import {
  untypedCodec,
  type CausationMetadata,
  type DomainEvent,
  type EventCodec,
  type EventMetadata,
  type Position,
  type StreamRevision,
} from './types';

export type ExpectedRevision = StreamRevision | 'any' | 'stream_exists';

export interface AppendOptions<Event extends DomainEvent> {
  /** The revision the stream must be at: the one the decision was made on. */
  expectedRevision: ExpectedRevision;
  metadata: CausationMetadata;
  /** One id per event (see event-ids.ts); random ones when absent. */
  eventIds?: readonly string[];
  codec?: EventCodec<Event>;
}

export interface AppendOutcome {
  /** The stream's revision after the append: expect it for the next write. */
  nextExpectedRevision: bigint;
  /** Where the write sits in the log: what a reader waits for to see it. */
  position: Position;
}

export async function appendEvents<Event extends DomainEvent>(
  client: EventStoreDBClient,
  streamName: string,
  events: readonly Event[],
  { expectedRevision, metadata, eventIds, codec = untypedCodec<Event>() }: AppendOptions<Event>,
): Promise<AppendOutcome> {
  if (events.length === 0) throw new Error(`nothing to append to ${streamName}: only call appendEvents with events`);
  if (eventIds && eventIds.length !== events.length) {
    throw new Error(`${eventIds.length} event ids for ${events.length} events appended to ${streamName}`);
  }
  const proposed = events.map((event, index) => {
    const eventMetadata: EventMetadata = {
      correlationId: metadata.correlationId,
      causationId: metadata.causationId,
      actor: metadata.actor,
      schemaVersion: codec.schemaVersionOf(event),
    };
    const id = eventIds?.[index];
    return jsonEvent({
      type: event.type,
      data: event.data as JSONType,
      metadata: eventMetadata as unknown as JSONType,
      ...(id === undefined ? {} : { id }),
    });
  });
  try {
    const result = await client.appendToStream(streamName, proposed, { expectedRevision });
    // A real server (22.6+) and the emulator always report the position of a successful write.
    if (!result.position) throw new Error(`the event store did not report where the append to ${streamName} was written`);
    return { nextExpectedRevision: result.nextExpectedRevision, position: result.position };
  } catch (error) {
    if (error instanceof WrongExpectedVersionError) {
      throw new VersionConflictError(streamName, expectedRevision, actualOf(error));
    }
    throw error;
  }
}

function actualOf(error: WrongExpectedVersionError): StreamRevision | 'unknown' {
  const actual: unknown = error.actualVersion;
  if (typeof actual === 'bigint' || actual === 'no_stream') return actual;
  return 'unknown';
}
