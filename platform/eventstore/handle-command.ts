/**
 * The command handling loop every writer shares: load the stream and fold it, decide, append with
 * the revision that was loaded. If someone else wrote in between, the append fails with a
 * conflict, and then:
 * - when the decision may simply be taken again on the fresh state (the usual case: `decide` is
 *   pure and re-checks every rule), retry with exponential backoff and full jitter, a bounded
 *   number of times;
 * - when it may not (the caller decided on a revision it saw, e.g. an HTTP `If-Match`), fail with
 *   VersionConflictError naming the stream, the expected and the actual revision.
 * With an idempotency key, every load also looks for the events that key's ids name: another
 * attempt under the same key (a retry after a crash, an instance that took an idempotency claim
 * over from this one, or the other way round) may have written them, and deciding again on a
 * stream that holds them would apply the command twice. Then those events are the outcome.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import type { Logger } from '../logger';
import { appendEvents } from './append';
import { VersionConflictError } from './errors';
import { deterministicEventId, deterministicEventIds } from './event-ids';
import { foldStream, readStreamEvents } from './read-stream';
import type { CausationMetadata, Decider, DomainEvent, EventCodec, Position, StreamRevision } from './types';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The backoff ceiling of the first retry; it doubles per retry up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * Sized for a hot stream (a popular product's inventory) under a burst of concurrent commands:
 * each round one writer wins, and full jitter spreads the losers out so the next round is calmer.
 * Measured on the emulator, 20 concurrent commands on one stream needed at most 7 attempts
 * (20 bursts of 20); 12 leaves room for a slower machine. The delay ceilings add up to ~6 s, the
 * expected wait to half that, before a command gives up.
 */
export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 12, initialDelayMs: 20, maxDelayMs: 1000 };

export interface HandleCommandOptions<Event extends DomainEvent> {
  /** `true` (default policy) or a policy: the decision may be re-taken on fresh state. `false`: never retry. */
  retryOnConflict: boolean | RetryPolicy;
  /**
   * The revision the caller decided on (e.g. from `If-Match`). The command then applies only to
   * that revision: a stream that moved is a conflict, never retried.
   */
  expectedRevision?: StreamRevision;
  /**
   * Derive the event ids from this key (an Idempotency-Key, or the causing event's id) and the
   * stream, so that repeating the same command cannot write its events twice.
   */
  idempotencyKey?: string;
  codec?: EventCodec<Event>;
  logger?: Logger;
  /** Injected by tests; default Math.random. */
  random?: () => number;
}

export interface CommandOutcome<Event extends DomainEvent, State> {
  /** What the decision produced; empty when the command had nothing (left) to do, or another attempt under the same idempotency key had already written it. */
  events: readonly Event[];
  /** The state after those events. */
  state: State;
  /** The stream's revision after the command (unchanged when no events). */
  nextExpectedRevision: StreamRevision;
  /** Where the events were written; undefined when there were none. */
  position: Position | undefined;
  attempts: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function handleCommand<Command, Event extends DomainEvent, State>(
  client: EventStoreDBClient,
  streamName: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  metadata: CausationMetadata,
  options: HandleCommandOptions<Event>,
): Promise<CommandOutcome<Event, State>> {
  const policy: RetryPolicy | undefined =
    options.expectedRevision !== undefined || options.retryOnConflict === false
      ? undefined
      : options.retryOnConflict === true
        ? defaultRetryPolicy
        : options.retryOnConflict;
  const maxAttempts = policy?.maxAttempts ?? 1;
  const random = options.random ?? Math.random;

  for (let attempt = 1; ; attempt++) {
    const { state, revision, written }: { state: State; revision: StreamRevision; written?: WrittenUnderKey | undefined } =
      options.idempotencyKey === undefined
        ? await foldStream(client, streamName, decider, { codec: options.codec })
        : await foldUnlessWritten(client, streamName, decider, options.idempotencyKey, options.codec);
    if (written) return { events: [], state, nextExpectedRevision: written.nextExpectedRevision, position: written.position, attempts: attempt };
    if (options.expectedRevision !== undefined && options.expectedRevision !== revision) {
      throw new VersionConflictError(streamName, options.expectedRevision, revision);
    }

    const events = decider.decide(command, state);
    if (events.length === 0) return { events, state, nextExpectedRevision: revision, position: undefined, attempts: attempt };

    try {
      const { nextExpectedRevision, position } = await appendEvents(client, streamName, events, {
        expectedRevision: revision,
        metadata,
        codec: options.codec,
        ...(options.idempotencyKey === undefined ? {} : { eventIds: deterministicEventIds(`${streamName}/${options.idempotencyKey}`, events.length) }),
      });
      const newState = events.reduce(decider.evolve, state);
      return { events, state: newState, nextExpectedRevision, position, attempts: attempt };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      if (!policy || attempt >= maxAttempts) {
        throw new VersionConflictError(error.streamName, error.expectedRevision, error.actualRevision, attempt);
      }
      // Full jitter (a random delay up to the exponential ceiling): concurrent losers of the same
      // race must not all come back at the same moment and collide again.
      const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
      const delay = Math.round(random() * ceiling);
      options.logger?.debug({ streamName, attempt, delayMs: delay, expected: String(error.expectedRevision), actual: String(error.actualRevision) }, 'version conflict; deciding again');
      await sleep(delay);
    }
  }
}

/** Where an earlier attempt's events end in the stream. */
export interface WrittenUnderKey {
  nextExpectedRevision: bigint;
  position: Position | undefined;
}

/**
 * The stream folded, and where the events an attempt under `key` wrote to it end (the ids
 * handleCommand derives from the key), if any attempt did: one read answers both.
 */
export async function foldUnlessWritten<Event extends DomainEvent, State>(
  client: EventStoreDBClient,
  streamName: string,
  decider: { initialState(): State; evolve(state: State, event: Event): State },
  key: string,
  codec?: EventCodec<Event>,
): Promise<{ state: State; revision: StreamRevision; written: WrittenUnderKey | undefined }> {
  const { events } = await readStreamEvents(client, streamName, codec ? { codec } : {});
  let state = decider.initialState();
  let revision: StreamRevision = 'no_stream';
  let matched = 0;
  let written: WrittenUnderKey | undefined;
  for (const recorded of events) {
    state = decider.evolve(state, recorded.event);
    revision = recorded.revision;
    if (recorded.id === deterministicEventId(`${streamName}/${key}`, matched)) {
      matched++;
      written = { nextExpectedRevision: recorded.revision, position: recorded.position };
    }
  }
  return { state, revision, written };
}
