/**
 * Loading an aggregate: read its stream from the start and fold the events with the decider's
 * `evolve`. The revision read is what an append must expect, so nobody else's write can slip in
 * between this read and that append unnoticed.
 */
import { StreamNotFoundError, type EventStoreDBClient } from '@eventstore/db-client';
import { UnreadableEventError } from './errors';
import { untypedCodec, type DomainEvent, type EventCodec, type RecordedDomainEvent, type StoredEvent, type StreamRevision } from './types';

export interface ReadOptions<Event extends DomainEvent> {
  codec?: EventCodec<Event>;
  /** Read only the events from this revision on (default: from the start). */
  fromRevision?: bigint;
  /** Read at most this many events: the server ends the read there, so it is still read to its end. */
  maxCount?: number;
}

/** An event as the client reads or delivers it, in the shape a codec decodes (its schema version is in its metadata). */
export function storedEventOf({ type, data, metadata }: { type: string; data: unknown; metadata: unknown }): StoredEvent {
  const schemaVersion =
    typeof metadata === 'object' && metadata !== null && !(metadata instanceof Uint8Array)
      ? (metadata as { schemaVersion?: unknown }).schemaVersion
      : undefined;
  return { type, data, schemaVersion, metadata };
}

/**
 * The events of a stream (from `fromRevision`, else all), decoded, in order; `revision` is that
 * of the last event read, `'no_stream'` when none was.
 */
export async function readStreamEvents<Event extends DomainEvent>(
  client: EventStoreDBClient,
  streamName: string,
  { codec = untypedCodec<Event>(), fromRevision, maxCount }: ReadOptions<Event> = {},
): Promise<{ events: RecordedDomainEvent<Event>[]; revision: StreamRevision }> {
  // Read everything first, decode afterwards: leaving a client read early (a throw inside the
  // loop) leaves its gRPC call unconsumed, and the client's dispose() then waits on it forever.
  const recordedEvents = [];
  try {
    const range = { ...(fromRevision === undefined ? {} : { fromRevision }), ...(maxCount === undefined ? {} : { maxCount }) };
    for await (const resolved of client.readStream(streamName, range)) {
      if (resolved.event) recordedEvents.push(resolved.event);
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return { events: [], revision: 'no_stream' };
    throw error;
  }
  const events = recordedEvents.map((recorded): RecordedDomainEvent<Event> => {
    let event: Event;
    try {
      event = codec.decode(storedEventOf(recorded));
    } catch (cause) {
      throw new UnreadableEventError(streamName, recorded.revision, recorded.type, { cause });
    }
    return {
      event,
      id: recorded.id,
      streamName: recorded.streamId,
      revision: recorded.revision,
      position: recorded.position,
      metadata: recorded.metadata,
      created: recorded.created,
    };
  });
  const revision: StreamRevision = recordedEvents.at(-1)?.revision ?? 'no_stream';
  return { events, revision };
}

export interface FoldedStream<State> {
  state: State;
  revision: StreamRevision;
}

/**
 * How a stream's events fold into a state. `revision` says where the event sits in the stream, for
 * a fold that remembers it (the saga's checkout keeps the revision of its last driving event); a
 * decider's `evolve(state, event)` fits as it is.
 */
export interface StreamFold<Event extends DomainEvent, State> {
  initialState(): State;
  evolve(state: State, event: Event, revision: bigint): State;
}

/** Catching a stream up: the state already folded (and the revision it reflects), and how to decode what is newer. */
export interface CatchUpOptions<Event extends DomainEvent, State> extends Pick<ReadOptions<Event>, 'codec'> {
  known: FoldedStream<State>;
}

/** The stream's current state (its events folded with `evolve`) and the revision it reflects. */
export function foldStream<Event extends DomainEvent, State>(
  client: EventStoreDBClient,
  streamName: string,
  fold: StreamFold<Event, State>,
  options: Pick<ReadOptions<Event>, 'codec'> = {},
): Promise<FoldedStream<State>> {
  return catchUpStream(client, streamName, fold, { ...options, known: { state: fold.initialState(), revision: 'no_stream' } });
}

/**
 * A state already folded up to `known.revision`, brought up to date by reading only the events
 * after it: a process that keeps a hot stream's state in memory pays for what is new, not for
 * the whole, ever longer stream. (A soft-deleted stream reads as not found: `known` stands.)
 */
export async function catchUpStream<Event extends DomainEvent, State>(
  client: EventStoreDBClient,
  streamName: string,
  fold: Pick<StreamFold<Event, State>, 'evolve'>,
  { known, ...options }: CatchUpOptions<Event, State>,
): Promise<FoldedStream<State>> {
  const fromRevision = known.revision === 'no_stream' ? undefined : known.revision + 1n;
  const { events } = await readStreamEvents(client, streamName, { ...options, fromRevision });
  let { state, revision } = known;
  for (const recorded of events) {
    state = fold.evolve(state, recorded.event, recorded.revision);
    revision = recorded.revision;
  }
  return { state, revision };
}
