/**
 * Waits until read models have applied a log position, for read-your-writes.
 *
 * Each checkpoint change is announced by a trigger on `projection_checkpoints` (NOTIFY, sent at
 * commit; projectors/migrations/0007). The watcher LISTENs on a connection of its own and answers
 * a waiting request the moment a notification shows its projections past the position. It still
 * reads the small table (one row per projection) once when a request starts waiting, so a
 * position passed long ago answers at once, and then polls slowly as a safety net. While the
 * LISTEN connection is down (or the database cannot LISTEN) it polls every `pollIntervalMs`,
 * and answers every waiting request from the same read: a hundred waiting requests cost one
 * query per tick, like one.
 */
import type { Knex } from 'knex';
import type { Logger } from '../../platform/logger';
import { checkpointChannel, listenToChannel, type ChannelListener } from '../../platform/postgres';
import { isAtOrAfter } from '../../platform/eventstore/position';
import type { Position } from './min-position';

export interface ProjectionProgress {
  name: string;
  /** Undefined while the projection has applied nothing (or has no checkpoint row yet). */
  position: Position | undefined;
  /** Set when the projection stopped on an event it cannot apply: waiting will not help. */
  failed: boolean;
}

export type WaitOutcome = { reached: true } | { reached: false; progress: ProjectionProgress[] };

interface Waiter {
  projections: readonly string[];
  target: Position;
  /** Only reads started after the request arrived may answer it. */
  firstRead: number;
  resolve(outcome: WaitOutcome): void;
  timer: NodeJS.Timeout;
}

interface CheckpointRow {
  projection: string;
  commit_position: string | null;
  prepare_position: string | null;
  failed_at: Date | null;
}

export interface CheckpointWatcherOptions {
  /** While not listening: how often to read the checkpoints (default 20 ms). */
  pollIntervalMs?: number;
  /** While listening: the safety-net read (default 500 ms). */
  listeningPollIntervalMs?: number;
  /** Default true; false polls only. */
  listen?: boolean;
  logger?: Logger;
}

interface CheckpointNotification {
  projection: string;
  commit: string | null;
  prepare: string | null;
  failed: boolean;
}

function positionOf(commit: string | null, prepare: string | null): Position | undefined {
  return commit === null || prepare === null ? undefined : { commit: BigInt(commit), prepare: BigInt(prepare) };
}

export class CheckpointWatcher {
  private readonly waiters = new Set<Waiter>();
  private readsStarted = 0;
  private loop: Promise<void> | undefined;
  private latest = new Map<string, ProjectionProgress>();
  private readonly pollIntervalMs: number;
  private readonly listeningPollIntervalMs: number;
  private listener: Promise<ChannelListener | undefined> | undefined;
  private wakeLoop: (() => void) | undefined;
  private closed = false;
  private readonly moveListeners = new Set<(projection: string | undefined) => void>();

  constructor(
    private readonly knex: Knex,
    private readonly options: CheckpointWatcherOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 20;
    this.listeningPollIntervalMs = options.listeningPollIntervalMs ?? 500;
  }

  /** Starts listening for checkpoint moves (also done by the first wait). */
  start(): this {
    if (this.options.listen === false || this.closed) return this;
    this.listener ??= (async () => {
      const [{ schema }] = (await this.knex.select(this.knex.raw('current_schema() as schema'))) as [{ schema: string }];
      if (this.closed) return undefined;
      return listenToChannel(this.knex, checkpointChannel(schema), {
        onNotification: (payload) => this.onNotification(payload),
        // Lost: moves may go unannounced, so read now and poll. Back: nothing to catch up on.
        onListeningChange: () => {
          this.wakeLoop?.();
          this.announceMove(undefined);
        },
        ...(this.options.logger ? { logger: this.options.logger } : {}),
      });
    })().catch((error: unknown) => {
      this.options.logger?.warn({ err: error }, 'could not listen for checkpoint moves; polling');
      this.listener = undefined;
      return undefined;
    });
    return this;
  }

  private onNotification(payload: string): void {
    let moved: CheckpointNotification;
    try {
      moved = JSON.parse(payload) as CheckpointNotification;
    } catch {
      return;
    }
    // A notification is a read of that one row, made after every request waiting now arrived.
    const read = ++this.readsStarted;
    this.latest.set(moved.projection, { name: moved.projection, position: positionOf(moved.commit, moved.prepare), failed: moved.failed });
    this.answerWaiters(read);
    this.announceMove(moved.projection);
  }

  /**
   * Calls `listener` with the projection's name each time a checkpoint move is announced, and
   * with undefined when announcements may have been missed (the LISTEN connection was lost or
   * came back). Starts listening; answers the function that stops the calls.
   */
  onMove(listener: (projection: string | undefined) => void): () => void {
    this.moveListeners.add(listener);
    this.start();
    return () => this.moveListeners.delete(listener);
  }

  private announceMove(projection: string | undefined): void {
    for (const listener of this.moveListeners) {
      try {
        listener(projection);
      } catch (error) {
        this.options.logger?.error({ err: error }, 'a checkpoint-move listener failed');
      }
    }
  }

  private answerWaiters(read: number): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.firstRead > read) continue;
      const reached = waiter.projections.every((name) => {
        const position = this.latest.get(name)?.position;
        return position !== undefined && isAtOrAfter(position, waiter.target);
      });
      if (reached) waiter.resolve({ reached: true });
    }
    if (this.waiters.size === 0) this.wakeLoop?.();
  }

  /** Resolves `{ reached: true }` once every one of `projections` is at or past `target`, or the progress seen at the deadline. */
  waitFor(projections: readonly string[], target: Position, timeoutMs: number): Promise<WaitOutcome> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        projections,
        target,
        firstRead: this.readsStarted + 1,
        resolve: (outcome) => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve(outcome);
        },
        timer: setTimeout(() => waiter.resolve({ reached: false, progress: this.progressOf(projections) }), timeoutMs),
      };
      this.waiters.add(waiter);
      this.start();
      // A sleeping loop reads at once: the new request needs one read made after it arrived.
      this.wakeLoop?.();
      this.loop ??= this.run().finally(() => (this.loop = undefined));
    });
  }

  /** Answers every waiter now with a timeout outcome, and stops listening (shutdown). */
  close(): void {
    this.closed = true;
    this.moveListeners.clear();
    for (const waiter of [...this.waiters]) waiter.resolve({ reached: false, progress: this.progressOf(waiter.projections) });
    void this.listener?.then((listener) => listener?.close());
    this.listener = undefined;
  }

  private progressOf(projections: readonly string[]): ProjectionProgress[] {
    return projections.map((name) => this.latest.get(name) ?? { name, position: undefined, failed: false });
  }

  private async run(): Promise<void> {
    while (this.waiters.size > 0) {
      const read = ++this.readsStarted;
      try {
        const rows = (await this.knex('projection_checkpoints').select(
          'projection',
          'commit_position',
          'prepare_position',
          'failed_at',
        )) as CheckpointRow[];
        for (const row of rows) {
          this.latest.set(row.projection, {
            name: row.projection,
            position: positionOf(row.commit_position, row.prepare_position),
            failed: row.failed_at !== null,
          });
        }
        this.answerWaiters(read);
      } catch (error) {
        // The waiters' deadlines still run; the next tick tries again.
        this.options.logger?.warn({ err: error }, 'reading projection checkpoints failed');
      }
      if (this.waiters.size === 0) break;
      // A request that arrived during that read needs a read of its own.
      if ([...this.waiters].some((waiter) => waiter.firstRead > read)) continue;
      const listening = (await this.listener)?.listening ?? false;
      await this.sleep(listening ? this.listeningPollIntervalMs : this.pollIntervalMs);
    }
  }

  /** Sleeps `ms`, or less when a request starts waiting or the last one is answered. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeLoop === done) this.wakeLoop = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeLoop = done;
    });
  }
}
