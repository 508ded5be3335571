/**
 * The one way a command is handled against an event-sourced stream, whoever handles it (the
 * command API, the saga's effects, the saga's own checkout stream): load the stream's state,
 * decide, append expecting the revision the decision was made on. Someone else's write in between
 * fails the append with a conflict; then, by the retry policy (conflict-retry.ts), the command is
 * decided again on the stream as it is now after a backoff, a bounded number of times, or the
 * conflict is the answer: VersionConflictError naming the stream and both revisions.
 *
 * - `expected` states what the stream must be: `'any'`; `'existing'` (a stream without events is
 *   a conflict); `'new'` (usually absent: decided on the initial state without reading, read only
 *   when the append conflicts); or a revision the caller decided on (HTTP If-Match): the command
 *   applies to that revision only, and a stream elsewhere is a conflict, never retried.
 * - `cache: { maxStreams }` keeps each stream's state and revision in memory (stream-cache.ts): a
 *   command is decided on what the cache holds, and a read catches up only the newer events.
 *   Safety does not rest on the cache being fresh: a decision on a stale state fails its append
 *   with a conflict, and a state that was not read just now and decides nothing (or refuses) is
 *   read and decided on again, because "already done" must be true of the stream, not of our
 *   memory. Neither counts as a failed attempt.
 * - An idempotency key derives the event ids from itself and the stream (event-ids.ts), so a
 *   repeat of the same append is dropped by the store. Without a cache, every read also looks for
 *   the events those ids name (written-under-key.ts): if they are there, they are the outcome.
 * - Within this process the commands on one stream run one at a time (KeyedQueue): racing each
 *   other would only turn into conflicts, re-reads and backoff. Different streams run in parallel.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { KeyedQueue } from '../keyed-queue';
import type { Logger } from '../logger';
import { retry } from '../retry';
import { appendEvents } from './append';
import { conflictRetryPolicies, conflictRetryPolicy, type ConflictRetry } from './conflict-retry';
import { VersionConflictError } from './errors';
import { deterministicEventIds } from './event-ids';
import { catchUpStream, foldStream, type FoldedStream, type StreamFold } from './read-stream';
import { StreamCache } from './stream-cache';
import type { CausationMetadata, DomainEvent, EventCodec, Position, StreamRevision } from './types';
import { foldUnlessWritten, keyedEventName, type WrittenUnderKey } from './written-under-key';

/** A decider, whose fold may also see where each event sits (see StreamFold). */
export interface StreamDecider<Command, Event extends DomainEvent, State> extends StreamFold<Event, State> {
  decide(command: Command, state: State): readonly Event[];
}

export type ExpectedStream = 'new' | 'existing' | 'any' | bigint;

export interface CommandHandlerOptions<Command, Event extends DomainEvent, State> {
  client: EventStoreDBClient;
  decider: StreamDecider<Command, Event, State>;
  codec?: EventCodec<Event>;
  /** Default `'none'`: every command reads the stream from its start. */
  cache?: 'none' | { maxStreams: number };
  /** Default `'conflicts'`. */
  retry?: ConflictRetry;
  logger?: Logger;
}

export interface HandleOptions<Event extends DomainEvent> {
  metadata: CausationMetadata;
  /** Default `'any'`. */
  expected?: ExpectedStream;
  /**
   * Derives the event ids from this key (an Idempotency-Key, the causing event's id) and the
   * stream. A function derives the key from what was decided as well (the saga's moves: a
   * different decision on the same revision must conflict rather than pass for a repeat); such a
   * key cannot be looked for before deciding.
   */
  idempotencyKey?: string | ((events: readonly Event[]) => string);
  /** This command's own policy instead of the handler's. */
  retry?: ConflictRetry;
}

export interface CommandOutcome<Event extends DomainEvent, State> {
  /** What the decision produced; empty when the command had nothing (left) to do, or another attempt under the same idempotency key had written it. */
  events: readonly Event[];
  /** The ids those events were written with. */
  eventIds: readonly string[];
  /** The state after the command. */
  state: State;
  /** The stream's revision after the command (unchanged when no events). */
  revision: StreamRevision;
  /** Where the events were written; undefined when there were none. */
  position: Position | undefined;
  attempts: number;
}

export interface CommandHandler<Command, Event extends DomainEvent, State> {
  handle(streamName: string, command: Command, options: HandleOptions<Event>): Promise<CommandOutcome<Event, State>>;
  /** The stream's state as it is now (with a cache, only the events it does not hold are read). */
  load(streamName: string): Promise<FoldedStream<State>>;
  /** What the cache holds of the stream, without reading; undefined without a cache. */
  cached(streamName: string): FoldedStream<State> | undefined;
  /**
   * Tells the cache the stream's state at `revision`, known without reading it (its first event,
   * as a subscription delivered it). Safe even if the stream has moved on: the next append then
   * conflicts and catches up.
   */
  seed(streamName: string, state: State, revision: bigint): void;
}

interface Attempt<Command, Event extends DomainEvent> extends HandleOptions<Event> {
  streamName: string;
  command: Command;
  expected: ExpectedStream;
  /** Whether a conflict may be decided again. */
  retrying: boolean;
  attempt: number;
}

function matches(expected: ExpectedStream, revision: StreamRevision): boolean {
  if (expected === 'existing') return revision !== 'no_stream';
  return typeof expected !== 'bigint' || expected === revision;
}

export function commandHandler<Command, Event extends DomainEvent, State>(
  options: CommandHandlerOptions<Command, Event, State>,
): CommandHandler<Command, Event, State> {
  const { client, decider, codec, logger } = options;
  const cache = options.cache === undefined || options.cache === 'none' ? undefined : new StreamCache<State>(options.cache.maxStreams);
  const queue = new KeyedQueue();
  const readOptions = codec ? { codec } : {};
  const initial = (): FoldedStream<State> => ({ state: decider.initialState(), revision: 'no_stream' });

  async function read(
    streamName: string,
    key: string | undefined,
  ): Promise<FoldedStream<State> & { written?: WrittenUnderKey | undefined }> {
    if (cache)
      return cache.remember(
        streamName,
        await catchUpStream(client, streamName, decider, { ...readOptions, known: cache.get(streamName) ?? initial() }),
      );
    return key === undefined
      ? foldStream(client, streamName, decider, readOptions)
      : foldUnlessWritten(client, streamName, decider, { ...readOptions, key });
  }

  /**
   * Decides on `known` and appends what was decided. Undefined when `known` was not read just now
   * and must be: at another revision than expected, deciding nothing or refusing, or (when
   * conflicts may be decided again) stale.
   */
  async function decideAndAppend(
    known: FoldedStream<State>,
    fresh: boolean,
    at: Attempt<Command, Event>,
  ): Promise<CommandOutcome<Event, State> | undefined> {
    const { streamName, expected, attempt } = at;
    if (!matches(expected, known.revision)) {
      if (!fresh) return undefined;
      throw new VersionConflictError(streamName, expected === 'existing' ? 'stream_exists' : (expected as bigint), known.revision, attempt);
    }
    let events: readonly Event[];
    try {
      events = decider.decide(at.command, known.state);
    } catch (error) {
      if (fresh) throw error;
      return undefined;
    }
    if (events.length === 0)
      return fresh
        ? { events, eventIds: [], state: known.state, revision: known.revision, position: undefined, attempts: attempt }
        : undefined;

    const key = typeof at.idempotencyKey === 'function' ? at.idempotencyKey(events) : at.idempotencyKey;
    const eventIds =
      key === undefined ? events.map(() => randomUUID()) : deterministicEventIds(keyedEventName(streamName, key), events.length);
    try {
      const { nextExpectedRevision, position } = await appendEvents(client, streamName, events, {
        expectedRevision: known.revision,
        metadata: at.metadata,
        codec,
        eventIds,
      });
      let { state } = known;
      let revision = nextExpectedRevision - BigInt(events.length);
      for (const event of events) state = decider.evolve(state, event, ++revision);
      cache?.remember(streamName, { state, revision: nextExpectedRevision });
      return { events, eventIds, state, revision: nextExpectedRevision, position, attempts: attempt };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      if (!fresh && at.retrying) return undefined;
      throw new VersionConflictError(error.streamName, error.expectedRevision, error.actualRevision, attempt);
    }
  }

  async function once(at: Attempt<Command, Event>): Promise<CommandOutcome<Event, State>> {
    // The first attempt may decide without reading: on what the cache holds, or on a new stream's initial state.
    const unread = at.attempt === 1 ? (cache?.get(at.streamName) ?? (at.expected === 'new' ? initial() : undefined)) : undefined;
    const decided = unread && (await decideAndAppend(unread, false, at));
    if (decided) return decided;
    const loaded = await read(at.streamName, typeof at.idempotencyKey === 'string' ? at.idempotencyKey : undefined);
    if (loaded.written)
      return {
        events: [],
        eventIds: [],
        state: loaded.state,
        revision: loaded.written.revision,
        position: loaded.written.position,
        attempts: at.attempt,
      };
    return (await decideAndAppend(loaded, true, at))!;
  }

  return {
    handle(streamName, command, handleOptions) {
      const expected = handleOptions.expected ?? 'any';
      const policy =
        typeof expected === 'bigint'
          ? conflictRetryPolicies.never
          : conflictRetryPolicy(handleOptions.retry ?? options.retry ?? 'conflicts');
      const retrying = policy.maxAttempts > 1;
      return queue.run(streamName, () =>
        retry((attempt) => once({ ...handleOptions, streamName, command, expected, retrying, attempt }), policy, {
          shouldRetry: (error) => error instanceof VersionConflictError,
          onRetry: (error, attempt, delayMs) => {
            const conflict = error as VersionConflictError;
            logger?.debug(
              { streamName, attempt, delayMs, expected: String(conflict.expectedRevision), actual: String(conflict.actualRevision) },
              'version conflict; deciding again',
            );
          },
        }),
      );
    },
    async load(streamName) {
      const { state, revision } = await read(streamName, undefined);
      return { state, revision };
    },
    cached: (streamName) => cache?.get(streamName),
    seed(streamName, state, revision) {
      cache?.remember(streamName, { state, revision });
    },
  };
}
