/**
 * Runs projections: takes each one's advisory lock, resumes a `$all` subscription after the stored
 * checkpoints, and commits batch after batch — rows and checkpoints in one transaction.
 *
 * A `ProjectionRunner` is one projection's progress (state, position, failure). Runners made with
 * `runTogether` form a group that shares one subscription and one transaction per batch, so every
 * event is sent and decoded once and a burst of events costs one commit rather than one per
 * projection; the projector service runs its projections so (docs/READ-MODELS.md). A runner
 * started on its own is a group of one.
 *
 * Error policy (docs/READ-MODELS.md has the table):
 * - an event it cannot read or apply → the projection stops in state `failed`, logs the event's
 *   stream, revision, position and the reason, records it in its checkpoint row, and counts it
 *   in `projector_errors_total{kind="fatal"}` / `projector_failed`. Nothing after it is applied.
 *   The other projections of its group go on without it, each from its own checkpoint.
 * - the event store or Postgres unreachable, a lost lock, a checkpoint moved by another writer →
 *   transient: close everything, wait (exponential backoff), resume from the stored checkpoint.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import type { Knex } from 'knex';
import { isAtOrAfter } from '../../platform/eventstore/position';
import type { Logger } from '../../platform/logger';
import { isTransientPostgresError } from '../../platform/postgres';
import { acquireAdvisoryLock, type AdvisoryLock } from './advisory-lock';
import { nextBatch, type Batch, type BatchOptions } from './batcher';
import { CheckpointMovedError, advanceCheckpoints, loadCheckpoint, recordFailure, type Checkpoint } from './checkpoint-store';
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
  /** Where a runner on its own takes its events, resuming after `after`; default a `$all` subscription of its own (a rebuild shares one: shared-feed.ts). */
  feed?: (projection: Projection<any>, after: Position | undefined) => FeedSource;
}

export class ProjectionRunner {
  private currentState: ProjectionState = 'starting';
  private currentPosition: Position | undefined;
  private lastEventAt: Date | undefined;
  private group: ProjectionGroup | undefined;
  private readonly listeners = new Set<() => void>();
  readonly logger: Logger;
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

  /** Starts this runner's group (a group of one unless made by `runTogether`). */
  start(): this {
    (this.group ??= new ProjectionGroup([this], this.options)).start();
    return this;
  }

  /** Stops the group (every runner in it) after the batch in flight (which commits or rolls back whole) and releases its locks. */
  async stop(): Promise<void> {
    // Stopped before it started: it never starts.
    await (this.group ??= new ProjectionGroup([this], this.options)).stop();
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

  // ---- for the group that drives this runner ------------------------------------------------

  /** Joins `group` before starting (runTogether). */
  joinGroup(group: ProjectionGroup): void {
    if (this.group) throw new Error(`projection ${this.projection.name} is already in a group`);
    this.group = group;
  }

  follows(streamName: string): boolean {
    return this.projection.streamPrefixes.some((prefix) => streamName.startsWith(prefix));
  }

  resumeFrom(checkpoint: Checkpoint): void {
    this.currentPosition = checkpoint.position;
    this.lastEventAt = checkpoint.lastEventAt;
  }

  /** A batch committed: the rows reflect everything up to `to`. */
  applied(to: Position, lastEventAt: Date | undefined, events: number, startedAt: number): void {
    const { name } = this.projection;
    this.currentPosition = to;
    if (lastEventAt) this.lastEventAt = lastEventAt;
    this.options.metrics?.eventsApplied.inc({ projection: name }, events);
    this.options.metrics?.batchSize.observe({ projection: name }, events);
    this.options.metrics?.batchSeconds.observe({ projection: name }, (performance.now() - startedAt) / 1000);
    this.notify();
  }

  async fail(error: ProjectionStoppedError): Promise<void> {
    const { name } = this.projection;
    this.failure = error;
    this.options.metrics?.errors.inc({ projection: name, kind: 'fatal' });
    this.logger.error({ err: error }, `projection ${name} stopped: ${error.message}`);
    await recordFailure(this.options.knex, name, error.message).catch((cause: unknown) => this.logger.error({ err: cause }, 'could not record the failure in the checkpoint row'));
    this.setState('failed');
  }

  interrupted(error: unknown, retryInMs: number): void {
    this.options.metrics?.errors.inc({ projection: this.projection.name, kind: 'transient' });
    this.logger.warn({ err: error, retryInMs }, `projection ${this.projection.name} interrupted; resuming from its checkpoint`);
    this.setState('retrying');
  }

  notify(): void {
    for (const listener of this.listeners) listener();
    this.listeners.clear();
  }

  setState(state: ProjectionState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.logger.info({ state }, `projection ${this.projection.name} is ${state.replaceAll('_', ' ')}`);
    this.notify();
  }

  /** Reads `raw` into `into` when the projection applies it; answers the error when it cannot. */
  readOne(raw: RawEvent, into: ProjectedEvent[]): CannotApplyEventError | undefined {
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

/** Runners for `projections` that share one subscription and one transaction per batch (not started). */
export function runTogether(projections: readonly Projection<any>[], options: RunnerOptions): ProjectionRunner[] {
  if (options.feed && projections.length !== 1) throw new Error('a feed of its own serves one projection: run the others in groups of their own');
  const runners = projections.map((projection) => new ProjectionRunner(projection, options));
  const group = new ProjectionGroup(runners, options);
  for (const runner of runners) runner.joinGroup(group);
  return runners;
}

/** Members of a group stopped for good (each for its reason); the others go on. */
class MembersStoppedError extends Error {
  constructor(readonly stopped: readonly { member: ProjectionRunner; reason: ProjectionStoppedError }[]) {
    super(stopped.map(({ reason }) => reason.message).join('; '));
  }
}

/** A member's part of one batch. */
interface Share {
  readonly member: ProjectionRunner;
  readonly events: ProjectedEvent[];
  /** Where its checkpoint moves; undefined: it stays. */
  to: Position | undefined;
  lastEventAt: Date | undefined;
  problem: CannotApplyEventError | undefined;
}

const byName = (a: ProjectionRunner, b: ProjectionRunner) => (a.projection.name < b.projection.name ? -1 : a.projection.name > b.projection.name ? 1 : 0);

/** The earliest of the members' positions (undefined, the start of the log, if any has applied nothing). */
function earliest(positions: readonly (Position | undefined)[]): Position | undefined {
  let first: Position | undefined;
  for (const position of positions) {
    if (!position) return undefined;
    if (!first || !isAtOrAfter(position, first)) first = position;
  }
  return first;
}

class ProjectionGroup {
  private stopping = false;
  private running: Promise<void> | undefined;
  private wakeFromSleep: (() => void) | undefined;

  constructor(
    private readonly members: readonly ProjectionRunner[],
    private readonly options: RunnerOptions,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeFromSleep?.();
    for (const member of this.members) member.notify();
    await this.running;
    for (const member of this.members) if (member.state !== 'failed') member.setState('stopped');
  }

  private async run(): Promise<void> {
    const { initialMs = 200, maxMs = 10_000 } = this.options.retry ?? {};
    let delay = initialMs;
    while (!this.stopping) {
      const members = this.members.filter((member) => member.state !== 'failed');
      if (members.length === 0) break;
      const locks: AdvisoryLock[] = [];
      let feed: FeedSource | undefined;
      try {
        for (const member of members) member.setState('waiting_for_lock');
        const stopped = new Promise<'stopped'>((resolve) => (this.wakeFromSleep = () => resolve('stopped')));
        // In name order, as every instance takes them: two instances never each hold a lock the other waits for.
        let interrupted = false;
        for (const member of [...members].sort(byName)) {
          const lock = acquireAdvisoryLock({ url: this.options.databaseUrl, schema: this.options.schema, name: member.projection.name });
          locks.push(lock);
          if ((await Promise.race([lock.acquired, stopped])) === 'stopped') {
            interrupted = true;
            break;
          }
        }
        if (interrupted) break;
        for (const member of members) member.resumeFrom(await loadCheckpoint(this.options.knex, member.projection.name));
        for (const member of members) member.setState('catching_up');
        // From the member furthest behind; each skips what it has applied already.
        const after = earliest(members.map((member) => member.position));
        const streamPrefixes = [...new Set(members.flatMap((member) => member.projection.streamPrefixes))];
        feed = this.options.feed ? this.options.feed(members[0]!.projection, after) : new EventFeed(this.options.client, { after, streamPrefixes });
        const activeFeed = feed;
        // Losing a lock ends the feed, so the batch being read returns at once and is not
        // committed. Not a Promise.race against the lock per batch: every race leaves a reaction
        // on the never-settled lock promise that holds its batch, and memory grows with the log.
        let lockLostWith: Error | undefined;
        for (const lock of locks) {
          void lock.lost.then((error) => {
            lockLostWith ??= error;
            void activeFeed.close();
          });
        }
        this.wakeFromSleep = () => void activeFeed.close();
        let live = false;
        while (!this.stopping) {
          const batch = await nextBatch(feed, live, this.options.batch);
          if (lockLostWith) throw lockLostWith;
          if (this.stopping) break; // an interrupted batch is simply not committed
          if (batch.events.length > 0 || batch.position) await this.commit(members, batch);
          delay = initialMs;
          if (batch.caughtUp) {
            live = true;
            for (const member of members) member.setState('live');
          }
        }
      } catch (error) {
        if (error instanceof MembersStoppedError) {
          for (const { member, reason } of error.stopped) await member.fail(reason);
          continue; // the others start over from their checkpoints, without them
        }
        if (this.stopping) break;
        for (const member of members) member.interrupted(error, delay);
        await this.sleep(delay);
        delay = Math.min(delay * 2, maxMs);
      } finally {
        this.wakeFromSleep = undefined;
        await feed?.close();
        for (const lock of locks) await lock.release();
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

  private async commit(members: readonly ProjectionRunner[], batch: Batch): Promise<void> {
    const started = performance.now();
    const shares: Share[] = members.map((member) => ({ member, events: [], to: batch.position, lastEventAt: undefined, problem: undefined }));
    for (const [index, raw] of batch.events.entries()) {
      for (const share of shares) {
        const { member } = share;
        if (share.problem || !member.follows(raw.streamName)) continue;
        if (member.position && isAtOrAfter(member.position, raw.position)) continue; // applied before the group started over
        const problem = member.readOne(raw, share.events);
        if (problem) {
          // Apply what came before the bad event, so the checkpoint points right at it.
          share.problem = problem;
          share.to = batch.events[index - 1]?.position;
        } else {
          share.lastEventAt = raw.recordedAt;
        }
      }
    }
    // Checkpoints only move forward: a member already past this batch (the group started over
    // from one further behind) stays where it is.
    const moving = shares.filter((share): share is Share & { to: Position } => share.to !== undefined && (!share.member.position || !isAtOrAfter(share.member.position, share.to)));
    if (moving.length > 0) {
      let applying: ProjectionRunner | undefined;
      try {
        await this.options.knex.transaction(async (trx) => {
          // The checkpoints move first, before any row is written: that takes the row locks the
          // replay CLI's swap holds while it replaces the tables, and it fails with nothing
          // written when the swap (or another writer) moved a checkpoint (docs/REPLAY.md).
          await advanceCheckpoints(
            trx,
            moving.map(({ member, to, lastEventAt, events }) => ({ projection: member.projection.name, from: member.position, to, lastEventAt, eventsApplied: events.length })),
          );
          for (const share of moving) {
            if (share.events.length === 0) continue;
            applying = share.member;
            await share.member.projection.apply(trx, share.events);
          }
          applying = undefined;
        });
      } catch (error) {
        if (error instanceof CheckpointMovedError || isTransientPostgresError(error)) throw error;
        if (applying && error instanceof InconsistentEventError) {
          const { event } = error;
          const reason = new CannotApplyEventError(applying.projection.name, { ...event, type: event.event.type, schemaVersion: undefined }, error.message, { cause: error });
          throw new MembersStoppedError([{ member: applying, reason }]);
        }
        // Anything else stops the projection that was applying; outside any apply (the checkpoint
        // statement, the commit), no one projection can be blamed, so every one in the batch stops.
        const blamed = applying ? moving.filter((share) => share.member === applying) : moving;
        throw new MembersStoppedError(
          blamed.map(({ member, events, to }) => {
            const range = `${events.length} events from ${events[0]?.streamName ?? '-'} (position ${events[0]?.position.commit ?? '-'}) to position ${to.commit}`;
            const reason = new ProjectionStoppedError(`projection ${member.projection.name} failed to apply ${range}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
            return { member, reason };
          }),
        );
      }
      for (const share of moving) share.member.applied(share.to, share.lastEventAt, share.events.length, started);
    }
    const stopped = shares.filter((share) => share.problem);
    if (stopped.length > 0) throw new MembersStoppedError(stopped.map(({ member, problem }) => ({ member, reason: problem! })));
  }
}
