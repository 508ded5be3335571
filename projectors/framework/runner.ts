/**
 * A `ProjectionRunner` is one projection's progress: its state, the position its rows reflect,
 * and why it stopped when it failed. Its group (group.ts) does the writing: runners made with
 * `runTogether` form a group that shares one subscription and one transaction per batch, as the
 * projector service runs its projections; a runner started on its own is a group of one.
 *
 * An event it cannot read or apply stops the projection in state `failed`: it logs the event's
 * stream, revision, position and the reason, records it in its checkpoint row, and counts it in
 * `projector_errors_total{kind="fatal"}` / `projector_failed`.
 */
import type { Logger } from '../../platform/logger';
import { recordFailure, type Checkpoint } from './checkpoint-store';
import { ProjectionGroup, type GroupOptions } from './group';
import type { AppliedBatch, GroupMember } from './group-member';
import type { ProjectionState, ProjectionStatus, ProjectorMetrics } from './metrics';
import type { Position, Projection, ProjectionStoppedError } from './types';

export interface RunnerOptions extends GroupOptions {
  logger: Logger;
  metrics?: ProjectorMetrics;
}

export class ProjectionRunner implements GroupMember {
  private currentState: ProjectionState = 'starting';
  private currentPosition: Position | undefined;
  private lastEventAt: Date | undefined;
  private group: ProjectionGroup | undefined;
  private readonly listeners = new Set<() => void>();
  readonly logger: Logger;
  /** Why the projection stopped, when it is `failed`. */
  failure: Error | undefined;

  constructor(
    readonly projection: Projection,
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
      if (Date.now() > deadline)
        throw new Error(`${this.projection.name} did not get there within ${timeoutMs} ms (state ${this.currentState})`);
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

  resumeFrom(checkpoint: Checkpoint): void {
    this.currentPosition = checkpoint.position;
    this.lastEventAt = checkpoint.lastEventAt;
  }

  applied({ to, lastEventAt, events, startedAt }: AppliedBatch): void {
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
    await recordFailure(this.options.knex, name, error.message).catch((cause: unknown) =>
      this.logger.error({ err: cause }, 'could not record the failure in the checkpoint row'),
    );
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
}

/** Runners for `projections` that share one subscription and one transaction per batch (not started). */
export function runTogether(projections: readonly Projection[], options: RunnerOptions): ProjectionRunner[] {
  if (options.feed && projections.length !== 1)
    throw new Error('a feed of its own serves one projection: run the others in groups of their own');
  const runners = projections.map((projection) => new ProjectionRunner(projection, options));
  const group = new ProjectionGroup(runners, options);
  for (const runner of runners) runner.joinGroup(group);
  return runners;
}
