/**
 * A group of projections written together: it takes each one's advisory lock, resumes one `$all`
 * subscription after the stored checkpoints, and commits batch after batch, every member's rows
 * and checkpoint in one transaction. So every event is sent and decoded once, and a burst of
 * events costs one commit rather than one per projection (docs/READ-MODELS.md).
 *
 * Error policy (docs/READ-MODELS.md has the table):
 * - an event a member cannot read or apply → that member stops in state `failed` (runner.ts
 *   records why); nothing after the event is applied. The other members go on without it, each
 *   from its own checkpoint.
 * - the event store or Postgres unreachable, a lost lock, a checkpoint moved by another writer →
 *   transient: close everything, wait (exponential backoff), resume from the stored checkpoint.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import type { Knex } from 'knex';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAtOrAfter } from '../../platform/eventstore/position';
import { backoffDelay, type Backoff } from '../../platform/retry';
import type { AdvisoryLock } from './advisory-lock';
import { commitBatch, MembersStoppedError } from './batch-commit';
import { nextBatch, type BatchOptions } from './batcher';
import { loadCheckpoint } from './checkpoint-store';
import { EventFeed, type FeedSource } from './event-feed';
import { closeFeedOnLockLoss, lockInNameOrder, type LockPlace } from './group-locks';
import type { GroupMember } from './group-member';
import type { Position, Projection } from './types';

export interface GroupOptions extends LockPlace {
  knex: Knex;
  client: EventStoreDBClient;
  batch?: BatchOptions;
  /** The wait before starting over after a transient error doubles from `initialMs` (default 200) up to `maxMs` (default 10 000). */
  retry?: { initialMs?: number; maxMs?: number };
  /** Where a group of one takes its events, resuming after `after`; default a `$all` subscription of its own (a rebuild shares one: shared-feed.ts). */
  feed?: (projection: Projection, after: Position | undefined) => FeedSource;
}

/** What a round of writing holds, released when it ends. */
interface Held {
  readonly locks: AdvisoryLock[];
  feed: FeedSource | undefined;
}

export class ProjectionGroup {
  private stopping = false;
  private running: Promise<void> | undefined;
  /** Cuts short what the loop waits for (a lock, the next batch, the backoff). */
  private interrupt: (() => void) | undefined;
  private readonly backoff: Backoff;

  constructor(
    private readonly members: readonly GroupMember[],
    private readonly options: GroupOptions,
  ) {
    const { initialMs = 200, maxMs = 10_000 } = options.retry ?? {};
    this.backoff = { initialMs, maxMs, jitter: 'none' };
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Stops after the batch in flight (which commits or rolls back whole) and releases the locks. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.interrupt?.();
    for (const member of this.members) member.notify();
    await this.running;
    for (const member of this.members) if (member.state !== 'failed') member.setState('stopped');
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const members = this.members.filter((member) => member.state !== 'failed');
      if (members.length === 0) break;
      const held: Held = { locks: [], feed: undefined };
      try {
        await this.write(members, held, () => (failures = 0));
      } catch (error) {
        if (error instanceof MembersStoppedError) {
          for (const { member, reason } of error.stopped) await member.fail(reason);
          continue; // the others start over from their checkpoints, without them
        }
        if (this.stopping) break;
        const delay = backoffDelay(this.backoff, ++failures);
        for (const member of members) member.interrupted(error, delay);
        await this.pause(delay);
      } finally {
        this.interrupt = undefined;
        await held.feed?.close();
        for (const lock of held.locks) await lock.release();
      }
    }
  }

  /** Takes the locks, resumes from the checkpoints and commits batch after batch until stopped; throws what ends it otherwise. */
  private async write(members: readonly GroupMember[], held: Held, onBatch: () => void): Promise<void> {
    for (const member of members) member.setState('waiting_for_lock');
    const stopped = new Promise<'stopped'>((resolve) => (this.interrupt = () => resolve('stopped')));
    if (!(await lockInNameOrder(members, this.options, stopped, held.locks))) return;
    for (const member of members) member.resumeFrom(await loadCheckpoint(this.options.knex, member.projection.name));
    for (const member of members) member.setState('catching_up');
    const feed = (held.feed = this.feedFor(members));
    const lockLost = closeFeedOnLockLoss(held.locks, feed);
    this.interrupt = () => void feed.close();
    let live = false;
    while (!this.stopping) {
      const batch = await nextBatch(feed, live, this.options.batch);
      const lost = lockLost();
      if (lost) throw lost;
      if (this.stopping) return; // an interrupted batch is simply not committed
      if (batch.events.length > 0 || batch.position) await commitBatch(this.options.knex, members, batch);
      onBatch();
      if (batch.caughtUp) {
        live = true;
        for (const member of members) member.setState('live');
      }
    }
  }

  /** From the member furthest behind; each skips what it has applied already. */
  private feedFor(members: readonly GroupMember[]): FeedSource {
    const after = earliest(members.map((member) => member.position));
    if (this.options.feed) return this.options.feed(members[0]!.projection, after);
    const streamPrefixes = [...new Set(members.flatMap((member) => member.projection.streamPrefixes))];
    return new EventFeed(this.options.client, { after, streamPrefixes });
  }

  private async pause(ms: number): Promise<void> {
    const woken = new AbortController();
    this.interrupt = () => woken.abort();
    await sleep(ms, undefined, { signal: woken.signal }).catch(() => undefined);
  }
}

/** The earliest of the members' positions (undefined, the start of the log, if any has applied nothing). */
function earliest(positions: readonly (Position | undefined)[]): Position | undefined {
  let first: Position | undefined;
  for (const position of positions) {
    if (!position) return undefined;
    if (!first || !isAtOrAfter(position, first)) first = position;
  }
  return first;
}
