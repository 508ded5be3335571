/** One record of the log, as stored. A record is an event written to one stream. */
export interface LogRecord {
  /** Index in the log (0-based, dense). Internal: callers outside the emulator see `position`. */
  readonly index: number;
  /** Log position; commit = prepare (24.10 writes every record self-committed). */
  readonly position: bigint;
  readonly streamName: string;
  /** Stream revision; TOMBSTONE_REVISION for the `$streamDeleted` record of a tombstone. */
  readonly revision: bigint;
  /** Event id, canonical lower-case UUID. */
  readonly id: string;
  readonly type: string;
  /** The server stores only this flag; the content type is re-derived from it on read. */
  readonly isJson: boolean;
  readonly data: Uint8Array;
  /** Custom metadata bytes (JSON text when the client was given an object). */
  readonly metadata: Uint8Array;
  /** 100-ns ticks since the Unix epoch. */
  readonly created: bigint;
}

/** What a writer proposes; the log assigns index, position, revision and created. */
export interface ProposedEvent {
  id: string;
  type: string;
  isJson: boolean;
  data: Uint8Array;
  metadata: Uint8Array;
}

export const TOMBSTONE_REVISION = 9223372036854775807n;
/** `$tb` of a soft-deleted stream: Int64.MaxValue, written as this exact JSON text. */
export const SOFT_DELETE_TRUNCATE_BEFORE_TEXT = '9223372036854775807';
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export const SYSTEM_EVENT_TYPES = {
  metadata: '$metadata',
  streamDeleted: '$streamDeleted',
  link: '$>',
} as const;

export function metadataStreamOf(stream: string): string {
  return `$$${stream}`;
}

/**
 * Size of one event as the server counts it against `maxAppendSize`
 * (data + custom metadata + the type twice, as the server stores it in two places).
 */
export function eventSize(event: ProposedEvent): number {
  return event.data.length + event.metadata.length + 2 * Buffer.byteLength(event.type);
}

/**
 * Bytes a record advances the log position by. Positions are byte offsets on a real server,
 * so the emulator leaves gaps too: callers must never assume `+1`.
 */
export function recordFootprint(streamName: string, event: ProposedEvent): bigint {
  return BigInt(64 + Buffer.byteLength(streamName) + eventSize(event));
}

export function ticksFromMs(ms: number): bigint {
  return BigInt(ms) * 10_000n;
}
