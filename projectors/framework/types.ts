/**
 * What a projection is: a name, the streams it follows, the event types it applies, and
 * `apply(trx, events)`, which writes a whole batch with multi-row statements. The framework
 * (group.ts) reads the log, batches, locks, checkpoints and handles errors around it.
 */
import type { Knex } from 'knex';
import type { Position } from '@eventstore/db-client';

export type { Position } from '@eventstore/db-client';

/** An event as read from `$all`, before a projection has trusted its data. */
export interface RawEvent {
  readonly id: string;
  readonly streamName: string;
  readonly revision: bigint;
  readonly position: Position;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly schemaVersion: unknown;
  /** When the event store recorded it. */
  readonly recordedAt: Date;
}

/** An event a projection applies: its typed `{ type, data }` and where it sits. */
export interface ProjectedEvent<Event extends { type: string; data: unknown } = { type: string; data: unknown }> {
  readonly event: Event;
  readonly id: string;
  readonly streamName: string;
  readonly revision: bigint;
  readonly position: Position;
  readonly recordedAt: Date;
}

export interface Projection<Event extends { type: string; data: unknown } = { type: string; data: unknown }> {
  /** Names the checkpoint row, the advisory lock and the metrics: never rename one in production. */
  readonly name: string;
  /** Stream name prefixes followed, e.g. `['order-', 'payment-']`. */
  readonly streamPrefixes: readonly string[];
  /** Whether this projection applies events of `type` (others in its streams pass by). */
  handles(type: string): boolean;
  /**
   * Whether `type` is an event this code knows at all. A type in a followed stream that it does
   * not know was written by a newer release: the projection stops rather than guess.
   */
  knows(type: string): boolean;
  /** Upcast and validate; throws (EventSchemaError) when the event cannot be read. */
  read(raw: RawEvent): Event;
  /**
   * Applies events in log order inside `trx`. Must be idempotent per row (rows keep the stream
   * revision they reflect): applying an event twice changes nothing.
   */
  apply(trx: Knex.Transaction, events: readonly ProjectedEvent<Event>[]): Promise<void>;
}

/** A projection met something it must not get past: it stops (never skips) until an operator acts. */
export class ProjectionStoppedError extends Error {
  override readonly name: string = 'ProjectionStoppedError';
}

/** An event the projection cannot apply: the projection stops, it never skips. */
export class CannotApplyEventError extends ProjectionStoppedError {
  override readonly name = 'CannotApplyEventError';

  constructor(
    readonly projection: string,
    readonly at: Pick<RawEvent, 'streamName' | 'revision' | 'position' | 'type' | 'schemaVersion' | 'id'>,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `projection ${projection} cannot apply ${at.type}${at.schemaVersion === undefined ? '' : ` (schema version ${String(at.schemaVersion)})`} at ${at.streamName}@${at.revision}, ` +
        `log position ${at.position.commit}, event id ${at.id}: ${reason}`,
      options,
    );
  }
}

/** Raised inside `apply` when an event contradicts the rows (e.g. a payment for an unknown order). */
export class InconsistentEventError extends Error {
  override readonly name = 'InconsistentEventError';
  constructor(
    readonly event: ProjectedEvent,
    message: string,
  ) {
    super(message);
  }
}
