/**
 * Waits until read models have applied a log position, for read-your-writes.
 *
 * Why polling and not LISTEN/NOTIFY: the projectors own `projection_checkpoints`, and a NOTIFY
 * would need a trigger there or a NOTIFY in their commit. One loop per query-api instance reads
 * that small table (one row per projection) every `pollIntervalMs`, only while some request
 * waits, and answers every waiting request from the same read: a hundred waiting requests cost
 * the same one query per tick as one. Polling every 20 ms adds at most that to a wait that a
 * projection's own batching (tens of ms) dominates anyway.
 */
import type { Knex } from 'knex';
import type { Logger } from '../../platform/logger';
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
  pollIntervalMs?: number;
  logger?: Logger;
}

export class CheckpointWatcher {
  private readonly waiters = new Set<Waiter>();
  private readsStarted = 0;
  private loop: Promise<void> | undefined;
  private latest = new Map<string, ProjectionProgress>();
  private readonly pollIntervalMs: number;

  constructor(
    private readonly knex: Knex,
    private readonly options: CheckpointWatcherOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 20;
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
      this.loop ??= this.run().finally(() => (this.loop = undefined));
    });
  }

  /** Answers every waiter now with a timeout outcome (shutdown). */
  close(): void {
    for (const waiter of [...this.waiters]) waiter.resolve({ reached: false, progress: this.progressOf(waiter.projections) });
  }

  private progressOf(projections: readonly string[]): ProjectionProgress[] {
    return projections.map((name) => this.latest.get(name) ?? { name, position: undefined, failed: false });
  }

  private async run(): Promise<void> {
    while (this.waiters.size > 0) {
      const read = ++this.readsStarted;
      try {
        const rows = (await this.knex('projection_checkpoints').select('projection', 'commit_position', 'prepare_position', 'failed_at')) as CheckpointRow[];
        this.latest = new Map(
          rows.map((row) => [
            row.projection,
            {
              name: row.projection,
              position: row.commit_position === null || row.prepare_position === null ? undefined : { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) },
              failed: row.failed_at !== null,
            },
          ]),
        );
        for (const waiter of [...this.waiters]) {
          if (waiter.firstRead > read) continue;
          const reached = waiter.projections.every((name) => {
            const position = this.latest.get(name)?.position;
            return position !== undefined && isAtOrAfter(position, waiter.target);
          });
          if (reached) waiter.resolve({ reached: true });
        }
      } catch (error) {
        // The waiters' deadlines still run; the next tick tries again.
        this.options.logger?.warn({ err: error }, 'reading projection checkpoints failed');
      }
      if (this.waiters.size > 0) await new Promise((resolve) => setTimeout(resolve, this.pollIntervalMs));
    }
  }
}
