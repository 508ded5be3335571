/**
 * The shapes the event store adapter works with. Generic on purpose: any decider and any event
 * union `{ type, data }` fits, so the adapter never needs to know the shop's events.
 */
import type { Position } from '@eventstore/db-client';

export type { Position } from '@eventstore/db-client';

export interface DomainEvent {
  readonly type: string;
  readonly data: unknown;
}

/** `decide(command, state) → events`, `evolve(state, event) → state`, from `initialState()`. */
export interface Decider<Command, Event extends DomainEvent, State> {
  initialState(): State;
  decide(command: Command, state: State): readonly Event[];
  evolve(state: State, event: Event): State;
}

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

/**
 * How events are written and read back: the schema version each new event is stamped with, and
 * how a stored event becomes a typed one (upcast old versions, validate). A service passes the
 * domain's codec; `untypedCodec` trusts the stored shape and stamps version 1.
 */
export interface EventCodec<Event extends DomainEvent> {
  schemaVersionOf(event: Event): number;
  /** Throws when the stored event is not one this code understands. */
  decode(stored: StoredEvent): Event;
}

/** An event as read from the store, before the codec turns it into a typed domain event. */
export interface StoredEvent {
  readonly type: string;
  readonly data: unknown;
  /** From the metadata; `undefined` when the event has none. */
  readonly schemaVersion: unknown;
  readonly metadata: unknown;
}

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
