/**
 * Runs one projection: takes its advisory lock, resumes its `$all` subscription after the stored
 * checkpoint, and commits batch after batch — rows and checkpoint in one transaction.
 *
 * Error policy (docs/READ-MODELS.md has the table):
 * - an event it cannot read or apply → the projection stops in state `failed`, logs the event's
 *   stream, revision, position and the reason, records it in its checkpoint row, and counts it
 *   in `projector_errors_total{kind="fatal"}` / `projector_failed`. Nothing after it is applied.
 * - the event store or Postgres unreachable, a lost lock, a checkpoint moved by another writer →
 *   transient: close everything, wait (exponential backoff), resume from the stored checkpoint.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import type { Knex } from 'knex';
import type { Logger } from '../../platform/logger';
import { isTransientPostgresError } from '../../platform/postgres';
import { acquireAdvisoryLock, type AdvisoryLock } from './advisory-lock';
import { nextBatch, type Batch, type BatchOptions } from './batcher';
import { CheckpointMovedError, advanceCheckpoint, loadCheckpoint, recordFailure } from './checkpoint-store';
import { EventFeed, type FeedSource } from './event-feed';
import { storableEvent } from './storable-text';
import type { ProjectionState, ProjectionStatus, ProjectorMetrics } from './metrics';
import { CannotApplyEventError, InconsistentEventError, ProjectionStoppedError, type Position, type ProjectedEvent, type Projection, type RawEvent } from './types';

export interface RunnerOptions {
  knex: Knex;
  client: EventStoreDBClient;
  /** For the advisory lock's own connection. */
  databaseUrl: string;
  /** The schema the read models live in (part of the lock key). */
  schema: string;
  logger: Logger;
  metrics?: ProjectorMetrics;
  batch?: BatchOptions;
  retry?: { initialMs?: number; maxMs?: number };
  /** Where the events come from, resuming after `after`; default a `$all` subscription of its own (a rebuild shares one: shared-feed.ts). */
  feed?: (projection: Projection<any>, after: Position | undefined) => FeedSource;
}

export class ProjectionRunner {
  private currentState: ProjectionState = 'starting';
  private currentPosition: Position | undefined;
  private lastEventAt: Date | undefined;
  private stopping = false;
  private wakeFromSleep: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private readonly logger: Logger;
  private readonly listeners = new Set<() => void>();
  /** Why the projection stopped, when it is `failed`. */
  failure: Error | undefined;

  constructor(
    readonly projection: Projection<any>,
    private readonly options: RunnerOptions,
  ) {
    this.logger = options.logger.child({ projection: projection.name });
    options.metrics?.register(() => this.status());
  }

  get state(): ProjectionState {
    return this.currentState;
  }

  get position(): Position | undefined {
    return this.currentPosition;
  }

  status(): ProjectionStatus {
    const { name, streamPrefixes } = this.projection;
    return { name, streamPrefixes, state: this.currentState, position: this.currentPosition, lastEventAt: this.lastEventAt };
  }

  start(): this {
    this.running ??= this.run();
    return this;
  }

  /** Stops after the batch in flight (which commits or rolls back whole) and releases the lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeFromSleep?.();
    this.notify();
    await this.running;
    if (this.currentState !== 'failed') this.setState('stopped');
  }

  /** Resolves when the projection is live (or rejects when it failed). For tests and startup logs. */
  async waitUntil(predicate: (runner: this) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (this.currentState === 'failed') throw this.failure ?? new Error(`${this.projection.name} failed`);
      if (Date.now() > deadline) throw new Error(`${this.projection.name} did not get there within ${timeoutMs} ms (state ${this.currentState})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 50);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.listeners.add(done);
      });
    }
  }

  /** Resolves once every event up to `position` (inclusive) is applied. */
  async waitForPosition(position: Position, timeoutMs?: number): Promise<void> {
    await this.waitUntil((runner) => runner.position !== undefined && runner.position.commit >= position.commit, timeoutMs);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
    this.listeners.clear();
  }

  private setState(state: ProjectionState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.logger.info({ state }, `projection ${this.projection.name} is ${state.replaceAll('_', ' ')}`);
    this.notify();
  }

  private async run(): Promise<void> {
    const { initialMs = 200, maxMs = 10_000 } = this.options.retry ?? {};
    let delay = initialMs;
    while (!this.stopping) {
      let lock: AdvisoryLock | undefined;
      let feed: FeedSource | undefined;
      try {
        this.setState('waiting_for_lock');
        lock = acquireAdvisoryLock({ url: this.options.databaseUrl, schema: this.options.schema, name: this.projection.name });
        const stopped = new Promise<'stopped'>((resolve) => (this.wakeFromSleep = () => resolve('stopped')));
        if ((await Promise.race([lock.acquired, stopped])) === 'stopped') break;
        const checkpoint = await loadCheckpoint(this.options.knex, this.projection.name);
        this.currentPosition = checkpoint.position;
        this.lastEventAt = checkpoint.lastEventAt;
        this.setState('catching_up');
        feed = this.options.feed
          ? this.options.feed(this.projection, checkpoint.position)
          : new EventFeed(this.options.client, { after: checkpoint.position, streamPrefixes: this.projection.streamPrefixes });
        const activeFeed = feed;
        // Losing the lock ends the feed, so the batch being read returns at once and is not
        // committed. Not a Promise.race against the lock per batch: every race leaves a reaction
        // on the never-settled lock promise that holds its batch, and memory grows with the log.
        let lockLostWith: Error | undefined;
        void lock.lost.then((error) => {
          lockLostWith = error;
          void activeFeed.close();
        });
        this.wakeFromSleep = () => void activeFeed.close();
        while (!this.stopping) {
          const batch = await nextBatch(feed, this.currentState === 'live', this.options.batch);
          if (lockLostWith) throw lockLostWith;
          if (this.stopping) break; // an interrupted batch is simply not committed
          if (batch.events.length > 0 || batch.position) await this.commit(batch);
          delay = initialMs;
          if (batch.caughtUp) this.setState('live');
        }
      } catch (error) {
        if (error instanceof ProjectionStoppedError) {
          this.failure = error;
          this.options.metrics?.errors.inc({ projection: this.projection.name, kind: 'fatal' });
          this.logger.error({ err: error }, `projection ${this.projection.name} stopped: ${error.message}`);
          await recordFailure(this.options.knex, this.projection.name, error.message).catch((cause: unknown) =>
            this.logger.error({ err: cause }, 'could not record the failure in the checkpoint row'),
          );
          this.setState('failed');
          break;
        }
        if (this.stopping) break;
        this.options.metrics?.errors.inc({ projection: this.projection.name, kind: 'transient' });
        this.logger.warn({ err: error, retryInMs: delay }, `projection ${this.projection.name} interrupted; resuming from its checkpoint`);
        this.setState('retrying');
        await this.sleep(delay);
        delay = Math.min(delay * 2, maxMs);
      } finally {
        this.wakeFromSleep = undefined;
        await feed?.close();
        await lock?.release();
      }
    }
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeFromSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async commit(batch: Batch): Promise<void> {
    const { projection } = this;
    const started = performance.now();
    const events: ProjectedEvent[] = [];
    let stop: CannotApplyEventError | undefined;
    let through: Position | undefined = batch.position;
    let lastEventAt: Date | undefined;
    for (const [index, raw] of batch.events.entries()) {
      const problem = this.readOne(raw, events);
      if (problem) {
        // Apply what came before the bad event, so the checkpoint points right at it.
        stop = problem;
        through = batch.events[index - 1]?.position;
        break;
      }
      lastEventAt = raw.recordedAt;
    }
    if (through) {
      const to = through;
      try {
        await this.options.knex.transaction(async (trx) => {
          // The checkpoint moves first, before any row is written: that takes the row lock the
          // replay CLI's swap holds while it replaces the tables, and it fails with nothing
          // written when the swap (or another writer) moved the checkpoint (docs/REPLAY.md).
          // One statement for the lock and the move: every round trip to Postgres counts live.
          await advanceCheckpoint(trx, projection.name, { from: this.currentPosition, to, lastEventAt, eventsApplied: events.length });
          if (events.length > 0) await projection.apply(trx, events);
        });
      } catch (error) {
        if (error instanceof CheckpointMovedError || isTransientPostgresError(error)) throw error;
        if (error instanceof InconsistentEventError) {
          const { event } = error;
          throw new CannotApplyEventError(projection.name, { ...event, type: event.event.type, schemaVersion: undefined }, error.message, { cause: error });
        }
        const range = `${events.length} events from ${events[0]?.streamName ?? '-'} (position ${events[0]?.position.commit ?? '-'}) to position ${to.commit}`;
        throw new ProjectionStoppedError(`projection ${projection.name} failed to apply ${range}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      this.currentPosition = to;
      if (lastEventAt) this.lastEventAt = lastEventAt;
      this.options.metrics?.eventsApplied.inc({ projection: projection.name }, events.length);
      this.options.metrics?.batchSize.observe({ projection: projection.name }, events.length);
      this.options.metrics?.batchSeconds.observe({ projection: projection.name }, (performance.now() - started) / 1000);
      this.notify();
    }
    if (stop) throw stop;
  }

  /** Reads `raw` into `into` when the projection applies it; answers the error when it cannot. */
  private readOne(raw: RawEvent, into: ProjectedEvent[]): CannotApplyEventError | undefined {
    const { projection } = this;
    if (!projection.handles(raw.type)) {
      if (projection.knows(raw.type)) return undefined;
      return new CannotApplyEventError(projection.name, raw, `unknown event type '${raw.type}' in a stream this projection follows (written by a newer release?)`);
    }
    try {
      const event = projection.read(storableEvent(raw));
      into.push({ event, id: raw.id, streamName: raw.streamName, revision: raw.revision, position: raw.position, recordedAt: raw.recordedAt });
      return undefined;
    } catch (error) {
      return new CannotApplyEventError(projection.name, raw, error instanceof Error ? error.message : String(error), { cause: error });
    }
  }
}
