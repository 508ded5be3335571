/** What a projection group asks of each of its members (a ProjectionRunner). */
import type { Checkpoint } from './checkpoint-store';
import type { ProjectionState } from './metrics';
import type { Position, Projection, ProjectionStoppedError } from './types';

export interface GroupMember {
  readonly projection: Projection;
  readonly state: ProjectionState;
  /** Where its rows stand: the last event applied (undefined: none yet). */
  readonly position: Position | undefined;
  setState(state: ProjectionState): void;
  /** Wakes whoever waits on this member (waitUntil). */
  notify(): void;
  resumeFrom(checkpoint: Checkpoint): void;
  /** A batch committed: the rows reflect everything up to `to`. */
  applied(batch: AppliedBatch): void;
  /** Stops the member for good: `error` is recorded in its checkpoint row. */
  fail(error: ProjectionStoppedError): Promise<void>;
  /** A transient error: the group starts over in `retryInMs`. */
  interrupted(error: unknown, retryInMs: number): void;
}

export interface AppliedBatch {
  readonly to: Position;
  /** When the newest applied event was recorded (undefined: the batch held none of its events). */
  readonly lastEventAt: Date | undefined;
  readonly events: number;
  /** `performance.now()` when the batch began. */
  readonly startedAt: number;
}

export function follows(member: GroupMember, streamName: string): boolean {
  return member.projection.streamPrefixes.some((prefix) => streamName.startsWith(prefix));
}
