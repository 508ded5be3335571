/**
 * Command handling for a process that writes the same streams over and over (the saga on a
 * popular product's inventory): the state of each stream is kept in memory with the revision it
 * reflects, so a command costs one append instead of a full read of an ever longer stream.
 *
 * Safety does not rest on the cache being fresh:
 * - events decided on a stale state are appended with the cached revision as the expected one,
 *   so they fail with a conflict; the cache then catches up (reads only the newer events) and
 *   the command is decided again;
 * - a command that decides "nothing to do" (or fails) on the cached state is decided again after
 *   catching up, because "already done" must be true of the stream, not of our memory.
 * Deterministic event ids (from the idempotency key) make a repeat after a crash a no-op.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import { appendEvents } from './append';
import { VersionConflictError } from './errors';
import { deterministicEventIds } from './event-ids';
import type { RetryPolicy } from './handle-command';
import { catchUpStream } from './read-stream';
import type { CausationMetadata, Decider, DomainEvent, EventCodec, StreamRevision } from './types';

interface Entry<State> {
  state: State;
  revision: StreamRevision;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class CachedAggregates<Command, Event extends DomainEvent, State> {
  private readonly entries = new Map<string, Entry<State>>();

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly decider: Decider<Command, Event, State>,
    private readonly codec: EventCodec<Event>,
    private readonly retry: RetryPolicy = { maxAttempts: 50, initialDelayMs: 2, maxDelayMs: 100 },
    private readonly maxStreams = 10_000,
    /**
     * For streams this process usually creates itself (the saga's `payment-…`): decide an unknown
     * stream on the initial state and append expecting "no stream", instead of reading first. A
     * stream that existed after all fails the append with a conflict, and is then read.
     */
    private readonly assumeNewStreams = false,
  ) {}

  /**
   * Decides `command` on the stream's state and appends the events. Callers must not run two
   * commands on one stream at once in this process (use a per-stream queue).
   */
  async handle(streamName: string, command: Command, metadata: CausationMetadata, idempotencyKey: string): Promise<{ events: readonly Event[]; state: State }> {
    let entry = this.entries.get(streamName);
    let fresh = false;
    if (!entry) {
      entry = { state: this.decider.initialState(), revision: 'no_stream' };
      if (!this.assumeNewStreams) {
        entry = await this.catchUp(streamName, entry);
        fresh = true;
      }
    }
    for (let attempt = 1; ; attempt++) {
      let events: readonly Event[];
      try {
        events = this.decider.decide(command, entry.state);
      } catch (error) {
        if (fresh) throw error;
        entry = await this.catchUp(streamName, entry);
        fresh = true;
        continue;
      }
      if (events.length === 0) {
        if (fresh) return { events, state: entry.state };
        entry = await this.catchUp(streamName, entry);
        fresh = true;
        continue;
      }
      try {
        const { nextExpectedRevision } = await appendEvents(this.client, streamName, events, {
          expectedRevision: entry.revision,
          metadata,
          codec: this.codec,
          eventIds: deterministicEventIds(`${streamName}/${idempotencyKey}`, events.length),
        });
        const state = events.reduce(this.decider.evolve, entry.state);
        this.remember(streamName, { state, revision: nextExpectedRevision });
        return { events, state };
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        if (attempt >= this.retry.maxAttempts) throw new VersionConflictError(error.streamName, error.expectedRevision, error.actualRevision, attempt);
        if (attempt > 1) await sleep(Math.round(Math.random() * Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** (attempt - 2))));
        entry = await this.catchUp(streamName, entry);
        fresh = true;
      }
    }
  }

  /**
   * Tells the cache the stream's state at `revision`, known without reading it (e.g. its first
   * event, delivered by a subscription). Ignored when the cache already knows a later revision.
   * Safe even if the stream has moved on since: the next append then conflicts and catches up.
   */
  seed(streamName: string, state: State, revision: bigint): void {
    const known = this.entries.get(streamName);
    if (known && known.revision !== 'no_stream' && known.revision >= revision) return;
    this.remember(streamName, { state, revision });
  }

  /** Folds the events after `entry.revision` into it. */
  private async catchUp(streamName: string, entry: Entry<State>): Promise<Entry<State>> {
    const caughtUp = await catchUpStream(this.client, streamName, this.decider, entry, { codec: this.codec });
    this.remember(streamName, caughtUp);
    return caughtUp;
  }

  private remember(streamName: string, entry: Entry<State>): void {
    this.entries.delete(streamName);
    this.entries.set(streamName, entry);
    if (this.entries.size > this.maxStreams) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
