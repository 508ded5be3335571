/**
 * The event store's failures a caller may act on, in our terms rather than the client library's,
 * so a service maps them to answers (409, retry, give up) without importing the client.
 */
import type { StreamRevision } from './types';

/** The stream moved past the revision the writer decided on (optimistic concurrency). */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  constructor(
    readonly streamName: string,
    readonly expectedRevision: StreamRevision | 'any' | 'stream_exists',
    readonly actualRevision: StreamRevision | 'unknown',
    /** How many times the command was decided and appended before giving up. */
    readonly attempts = 1,
  ) {
    super(
      `Stream ${streamName} was expected at revision ${String(expectedRevision)} but is at ${String(actualRevision)}` +
        (attempts > 1 ? ` (gave up after ${attempts} attempts)` : ''),
    );
  }
}

/** A stored event the codec could not read: a bug or a release mismatch, never retried. */
export class UnreadableEventError extends Error {
  override readonly name = 'UnreadableEventError';
  constructor(
    readonly streamName: string,
    readonly revision: bigint,
    readonly eventType: string,
    options: { cause: unknown },
  ) {
    super(
      `Cannot read ${eventType} at ${streamName}@${revision}: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`,
      options,
    );
  }
}
