import type { EventLog } from '../../log/event-log';
import { SYSTEM_EVENT_TYPES, type LogRecord } from '../../log/records';
import { matchesFilter, type RecordFilter } from '../filter';

/**
 * What a group reads: one stream, or `$all` (optionally filtered). Positions are bigints in the
 * source's own terms: stream revisions for a stream (of the record in that stream, i.e. the link
 * when the stream holds links), log positions for `$all`.
 */

export const ALL_STREAM = '$all';

/** The client's filter, kept as sent: it is written to the `$PersistentConfig` record too. */
export interface AllFilter {
  readonly matcher: RecordFilter;
  readonly context: 'streamid' | 'eventtype';
  readonly type: 'prefix' | 'regex';
  readonly data: string;
}

export type GroupSource =
  { readonly kind: 'stream'; readonly stream: string } | { readonly kind: 'all'; readonly filter: AllFilter | undefined };

// Every `$all` group skips what the server's default `$all` filter skips (`$epoch-information`,
// the checkpoints and parked messages of `$all` groups): `matchesFilter` hides those whatever
// the filter, and an empty prefix matches everything else.
const DEFAULT_ALL_FILTER: RecordFilter = { target: 'stream-name', regex: undefined, prefixes: [''] };

export function eventSourceName(source: GroupSource): string {
  return source.kind === 'stream' ? source.stream : ALL_STREAM;
}

export function groupKey(source: GroupSource, group: string): string {
  return `${eventSourceName(source)}::${group}`;
}

/** The server's `ToString()` of a position, used in info and in checkpoint records. */
export function formatPosition(source: GroupSource, position: bigint): string {
  return source.kind === 'stream' ? position.toString() : `C:${position}/P:${position}`;
}

/** Reads a checkpoint's text back; undefined if it is not one this source could have written. */
export function parsePosition(source: GroupSource, text: string): bigint | undefined {
  if (source.kind === 'stream') return /^-?\d+$/.test(text) ? BigInt(text) : undefined;
  const match = /^C:(-?\d+)\/P:(-?\d+)$/.exec(text);
  return match ? BigInt(match[1]!) : undefined;
}

/** One record as a group sees it: resolved (or not) per `resolveLinkTos`. */
export interface SourceEvent {
  /** The resolved target, the record itself, or undefined for a link whose target is gone. */
  readonly event: LogRecord | undefined;
  /** The `$>` record when a link was resolved (or failed to). */
  readonly link: LogRecord | undefined;
  /** The record read from the source (link if present): its id is what the client acks. */
  readonly original: LogRecord;
  readonly position: bigint;
}

export type Pulled = { readonly kind: 'event'; readonly event: SourceEvent } | { readonly kind: 'filtered-out'; readonly position: bigint };

/** Reads a source forward from a start, one record at a time, straight from the in-memory log. */
export interface SourceCursor {
  next(): Pulled | undefined;
  /** True when every record written so far has been read. */
  readonly atEnd: boolean;
}

export function resolve(log: EventLog, record: LogRecord, resolveLinkTos: boolean, position: bigint): SourceEvent {
  if (!resolveLinkTos || record.type !== SYSTEM_EVENT_TYPES.link) return { event: record, link: undefined, original: record, position };
  return { event: log.resolveLink(record), link: record, original: record, position };
}

class StreamCursor implements SourceCursor {
  constructor(
    private readonly log: EventLog,
    private readonly stream: string,
    private readonly resolveLinkTos: boolean,
    private nextRevision: bigint,
  ) {}

  get atEnd(): boolean {
    return this.nextRevision > this.log.currentRevision(this.stream);
  }

  next(): Pulled | undefined {
    // Stream limits ($tb, $maxCount, soft delete) hide records as a stream read would.
    const firstVisible = this.log.firstVisibleRevision(this.stream);
    if (this.nextRevision < firstVisible) this.nextRevision = firstVisible;
    while (!this.atEnd) {
      const record = this.log.streamRecord(this.stream, this.nextRevision);
      this.nextRevision++;
      if (record && this.log.isVisibleInStream(record)) {
        return { kind: 'event', event: resolve(this.log, record, this.resolveLinkTos, record.revision) };
      }
    }
    return undefined;
  }
}

class AllCursor implements SourceCursor {
  private readonly filter: RecordFilter | undefined;

  constructor(
    private readonly log: EventLog,
    filter: AllFilter | undefined,
    private readonly resolveLinkTos: boolean,
    private nextIndex: number,
  ) {
    this.filter = filter?.matcher;
  }

  get atEnd(): boolean {
    return this.nextIndex >= this.log.length;
  }

  next(): Pulled | undefined {
    for (;;) {
      const record = this.log.recordAt(this.nextIndex);
      if (!record) return undefined;
      this.nextIndex++;
      // What the server's default `$all` filter hides never reaches a `$all` group at all (not
      // even as a passed-over record), so a group's own checkpoints cannot feed its checkpointing.
      if (!matchesFilter(DEFAULT_ALL_FILTER, record)) continue;
      if (this.filter && !matchesFilter(this.filter, record)) return { kind: 'filtered-out', position: record.position };
      return { kind: 'event', event: resolve(this.log, record, this.resolveLinkTos, record.position) };
    }
  }
}

/**
 * `after` = resume strictly after a checkpoint; `from` = start inclusively at a revision or
 * position; `live` = only what is written from now on.
 */
export type CursorStart =
  { readonly kind: 'after'; readonly position: bigint } | { readonly kind: 'from'; readonly position: bigint } | { readonly kind: 'live' };

export function openCursor(log: EventLog, source: GroupSource, resolveLinkTos: boolean, start: CursorStart): SourceCursor {
  if (source.kind === 'stream') {
    const revision =
      start.kind === 'live' ? log.currentRevision(source.stream) + 1n : start.kind === 'after' ? start.position + 1n : start.position;
    return new StreamCursor(log, source.stream, resolveLinkTos, revision);
  }
  const index = start.kind === 'live' ? log.length : log.indexAtOrAfter(start.kind === 'after' ? start.position + 1n : start.position);
  return new AllCursor(log, source.filter, resolveLinkTos, index);
}

/**
 * The stream a Pinned group pins by: the event's stream, or for a link that did not resolve,
 * the stream named in its data (`"{revision}@{stream}"`).
 */
export function sourceStreamOf(event: SourceEvent): string {
  const record = event.event ?? event.link ?? event.original;
  if (record.type !== SYSTEM_EVENT_TYPES.link) return record.streamName;
  const data = Buffer.from(record.data).toString('utf8');
  const at = data.indexOf('@');
  return at === -1 ? data : data.slice(at + 1);
}
