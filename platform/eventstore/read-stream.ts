/**
 * Loading an aggregate: read its stream from the start and fold the events with the decider's
 * `evolve`. The revision read is what an append must expect, so nobody else's write can slip in
 * between this read and that append unnoticed.
 */
import { StreamNotFoundError, type EventStoreDBClient } from '@eventstore/db-client';
import { UnreadableEventError } from './errors';
import { untypedCodec, type DomainEvent, type EventCodec, type RecordedDomainEvent, type StreamRevision } from './types';

export interface ReadOptions<Event extends DomainEvent> {
  codec?: EventCodec<Event>;
  /** Read only the events from this revision on (default: from the start). */
  fromRevision?: bigint;
}

function schemaVersionIn(metadata: unknown): unknown {
  return typeof metadata === 'object' && metadata !== null && !(metadata instanceof Uint8Array)
    ? (metadata as { schemaVersion?: unknown }).schemaVersion
    : undefined;
}

/**
 * The events of a stream (from `fromRevision`, else all), decoded, in order; `revision` is that
 * of the last event read, `'no_stream'` when none was.
 */
export async function readStreamEvents<Event extends DomainEvent>(
  client: EventStoreDBClient,
  streamName: string,
  { codec = untypedCodec<Event>(), fromRevision }: ReadOptions<Event> = {},
): Promise<{ events: RecordedDomainEvent<Event>[]; revision: StreamRevision }> {
  // Read everything first, decode afterwards: leaving a client read early (a throw inside the
  // loop) leaves its gRPC call unconsumed, and the client's dispose() then waits on it forever.
  const recordedEvents = [];
  try {
    for await (const resolved of client.readStream(streamName, fromRevision === undefined ? {} : { fromRevision })) {
      if (resolved.event) recordedEvents.push(resolved.event);
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return { events: [], revision: 'no_stream' };
    throw error;
  }
  const events = recordedEvents.map((recorded): RecordedDomainEvent<Event> => {
    let event: Event;
    try {
      event = codec.decode({ type: recorded.type, data: recorded.data, schemaVersion: schemaVersionIn(recorded.metadata), metadata: recorded.metadata });
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

/** The stream's current state (its events folded with `evolve`) and the revision it reflects. */
export function foldStream<Event extends DomainEvent, State>(
  client: EventStoreDBClient,
  streamName: string,
  decider: { initialState(): State; evolve(state: State, event: Event): State },
  options: Omit<ReadOptions<Event>, 'fromRevision'> = {},
): Promise<FoldedStream<State>> {
  return catchUpStream(client, streamName, decider, { state: decider.initialState(), revision: 'no_stream' }, options);
}

/**
 * A state already folded up to `known.revision`, brought up to date by reading only the events
 * after it: a process that keeps a hot stream's state in memory pays for what is new, not for
 * the whole, ever longer stream. (A soft-deleted stream reads as not found: `known` stands.)
 */
export async function catchUpStream<Event extends DomainEvent, State>(
  client: EventStoreDBClient,
  streamName: string,
  decider: { evolve(state: State, event: Event): State },
  known: FoldedStream<State>,
  options: Omit<ReadOptions<Event>, 'fromRevision'> = {},
): Promise<FoldedStream<State>> {
  const fromRevision = known.revision === 'no_stream' ? undefined : known.revision + 1n;
  const { events } = await readStreamEvents(client, streamName, { ...options, fromRevision });
  let { state, revision } = known;
  for (const recorded of events) {
    state = decider.evolve(state, recorded.event);
    revision = recorded.revision;
  }
  return { state, revision };
}
