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
}

function schemaVersionIn(metadata: unknown): unknown {
  return typeof metadata === 'object' && metadata !== null && !(metadata instanceof Uint8Array)
    ? (metadata as { schemaVersion?: unknown }).schemaVersion
    : undefined;
}

/** Every event of a stream, decoded, in order; `revision` is `'no_stream'` when the stream has none. */
export async function readStreamEvents<Event extends DomainEvent>(
  client: EventStoreDBClient,
  streamName: string,
  { codec = untypedCodec<Event>() }: ReadOptions<Event> = {},
): Promise<{ events: RecordedDomainEvent<Event>[]; revision: StreamRevision }> {
  // Read everything first, decode afterwards: leaving a client read early (a throw inside the
  // loop) leaves its gRPC call unconsumed, and the client's dispose() then waits on it forever.
  const recordedEvents = [];
  try {
    for await (const resolved of client.readStream(streamName)) {
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

/** The stream's current state (its events folded with `evolve`) and the revision it reflects. */
export async function foldStream<Event extends DomainEvent, State>(
  client: EventStoreDBClient,
  streamName: string,
  decider: { initialState(): State; evolve(state: State, event: Event): State },
  options: ReadOptions<Event> = {},
): Promise<{ state: State; revision: StreamRevision }> {
  const { events, revision } = await readStreamEvents(client, streamName, options);
  let state = decider.initialState();
  for (const { event } of events) state = decider.evolve(state, event);
  return { state, revision };
}
