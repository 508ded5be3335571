/**
 * The shapes the event store adapter works with. Generic on purpose: any decider and any event
 * union `{ type, data }` fits, so the adapter never needs to know the shop's events. The decider,
 * event and codec types are the domain's own (domain/shared), declared once there.
 */
import type { Position } from '@eventstore/db-client';
import type { DomainEvent, EventCodec } from '../../domain/shared/events';

export type { Position } from '@eventstore/db-client';
export type { Decider } from '../../domain/shared/decider';
export type { DomainEvent, EventCodec, StoredEvent } from '../../domain/shared/events';

/** What must travel with every event, so its origin can be traced (ARCHITECTURE: Streams and events). */
export interface CausationMetadata {
  /** The originating request (the HTTP request's correlation id, carried along by the saga). */
  readonly correlationId: string;
  /** The id of the command or event that caused this event. */
  readonly causationId: string;
  /** A user id, or `system:saga`, `system:projector`... */
  readonly actor: string;
}

/** The metadata stored on each event. */
export interface EventMetadata extends CausationMetadata {
  /** The version of this event type's data shape it was written with (for upcasting on read). */
  readonly schemaVersion: number;
}

/** A stream's revision as last seen; `'no_stream'` when it has no events yet. */
export type StreamRevision = bigint | 'no_stream';

/** For events whose shape is trusted as stored: every event is written as schema version 1. */
export function untypedCodec<Event extends DomainEvent>(): EventCodec<Event> {
  return {
    schemaVersionOf: () => 1,
    decode: ({ type, data }) => ({ type, data }) as unknown as Event,
  };
}

/** An event read back from a stream, with where it sits in the stream and the log. */
export interface RecordedDomainEvent<Event extends DomainEvent = DomainEvent> {
  readonly event: Event;
  readonly id: string;
  readonly streamName: string;
  readonly revision: bigint;
  readonly position: Position | undefined;
  readonly metadata: unknown;
  readonly created: Date;
}
