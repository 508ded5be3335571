import { randomUUID } from 'node:crypto';
import { checkCommit, type ExpectedRevision, type StreamFacts } from './expected-revision';
import {
  eventSize,
  metadataStreamOf,
  NIL_UUID,
  recordFootprint,
  SYSTEM_EVENT_TYPES,
  ticksFromMs,
  TOMBSTONE_REVISION,
  type LogRecord,
  type ProposedEvent,
} from './records';
import { NO_LIMITS, parseStreamMetadata, recreatedMetadata, softDeleteMetadata, type StreamLimits } from './stream-metadata';

/**
 * The emulator's single log: every record in write order, indexed by stream. One writer —
 * every mutation is a synchronous method, so the expected-revision check and the write are
 * atomic and appends never interleave. Readers and subscriptions read it by index.
 */

export type AppendOutcome =
  /** `currentRevision` -1n = no stream; `position` undefined = no position (nothing was ever written). */
  | { kind: 'success'; currentRevision: bigint; position: bigint | undefined; written: boolean }
  | { kind: 'wrong-expected-version'; currentRevision: bigint }
  | { kind: 'stream-deleted' }
  | { kind: 'too-large'; maxAppendSize: number }
  | { kind: 'bad-request'; message: string };

export type DeleteOutcome =
  { kind: 'success'; position: bigint } | { kind: 'wrong-expected-version'; currentRevision: bigint } | { kind: 'stream-deleted' };

export type StreamStatus = 'absent' | 'live' | 'soft-deleted' | 'tombstoned';

export type ReadStreamOutcome = { kind: 'not-found' } | { kind: 'deleted' } | { kind: 'ok'; revisions: Iterable<LogRecord> };

export type Direction = 'forwards' | 'backwards';

/** Durable storage behind the log: must have the records on disk when `write` returns. */
export interface LogStorage {
  write(records: readonly LogRecord[]): void;
}

export interface EventLogOptions {
  /** Largest append in bytes (spec 3.4). Default 1 MiB. */
  maxAppendSize?: number;
  /** Clock for `created`; injectable so tests can age events. */
  now?: () => number;
  storage?: LogStorage;
}

interface StreamState {
  /** Log index of each revision: revision r is `indices[r]`. */
  readonly indices: number[];
  readonly revisionById: Map<string, bigint>;
  tombstoneIndex: number | undefined;
}

type AppendListener = (records: readonly LogRecord[]) => void;

const METASTREAM_LIMITS: StreamLimits = { softDeleted: false, maxCount: 1, raw: {} };

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class EventLog {
  readonly maxAppendSize: number;
  private readonly now: () => number;
  private readonly storage: LogStorage | undefined;
  private readonly records: LogRecord[] = [];
  private readonly streams = new Map<string, StreamState>();
  private readonly limits = new Map<string, StreamLimits>();
  private readonly listeners = new Set<AppendListener>();
  private endPosition = 0n;
  private storedBytes = 0;

  constructor(options: EventLogOptions = {}) {
    this.maxAppendSize = options.maxAppendSize ?? 1_048_576;
    this.now = options.now ?? Date.now;
    this.storage = options.storage;
  }

  /** Number of records; record indices are 0..length-1. */
  get length(): number {
    return this.records.length;
  }

  /** Bytes of event data, metadata and names held: the "size of the log" memory is compared with. */
  get bytesHeld(): number {
    return this.storedBytes;
  }

  get lastPosition(): bigint | undefined {
    return this.records.at(-1)?.position;
  }

  recordAt(index: number): LogRecord | undefined {
    return this.records[index];
  }

  /** How many readers wait on appends: lets tests prove a cancelled subscription was released. */
  get appendListenerCount(): number {
    return this.listeners.size;
  }

  /** Called synchronously after each write, with the records it added (in log order). */
  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---------------------------------------------------------------------------------------
  // Writes

  append(streamName: string, expected: ExpectedRevision, events: readonly ProposedEvent[]): AppendOutcome {
    const invalid = events.find((event) => event.type === '' || !UUID_PATTERN.test(event.id) || event.id === NIL_UUID);
    if (invalid) {
      return { kind: 'bad-request', message: invalid.type === '' ? 'Event type must not be empty.' : `Invalid event id '${invalid.id}'.` };
    }
    const size = events.reduce((sum, event) => sum + eventSize(event), 0);
    if (size > this.maxAppendSize) return { kind: 'too-large', maxAppendSize: this.maxAppendSize };

    const facts = this.facts(streamName);
    const decision = checkCommit(
      facts,
      expected,
      events.map((event) => event.id),
    );
    switch (decision.kind) {
      case 'stream-deleted':
        return decision;
      case 'wrong-expected-version':
        return { kind: 'wrong-expected-version', currentRevision: facts.current };
      case 'idempotent': {
        const position =
          this.streamRecord(streamName, decision.lastRevision)?.position ?? (events.length === 0 ? this.lastPosition : undefined);
        if (events.length === 0 && facts.softDeleted) {
          // An empty append that passes the check is still a write on the server, so it recreates
          // a soft-deleted stream: the stream exists again, with nothing visible.
          this.write([this.metadataRecord(streamName, recreatedMetadata(this.limitsOf(streamName), facts.current + 1n))]);
        }
        return { kind: 'success', currentRevision: decision.lastRevision, position, written: false };
      }
      case 'write': {
        // An empty append to an absent stream passes the check but has nothing to write (spec 3.4).
        if (events.length === 0) return { kind: 'success', currentRevision: facts.current, position: this.lastPosition, written: false };
        const pending: PendingRecord[] = events.map((event, i) => ({ streamName, revision: facts.current + 1n + BigInt(i), event }));
        if (facts.softDeleted) {
          // Recreating a soft-deleted stream: revisions continue, only the new ones are visible. The
          // server writes this `$metadata` after the events, so `$all` readers see it there.
          pending.push(this.metadataRecord(streamName, recreatedMetadata(this.limitsOf(streamName), facts.current + 1n)));
        }
        const undeleted = this.softDeletedStreamOfMetastream(streamName);
        const written = this.write(pending);
        if (undeleted !== undefined) {
          // New metadata for a soft-deleted stream replaces its `$tb` marker; the server then writes
          // it again with `$tb` past the last event (`SoftUndeleteMetastream`), so the old events
          // stay hidden while the stream exists again.
          this.write([this.metadataRecord(undeleted, recreatedMetadata(this.limitsOf(undeleted), this.currentRevision(undeleted) + 1n))]);
        }
        return {
          kind: 'success',
          currentRevision: facts.current + BigInt(events.length),
          position: written[events.length - 1]!.position,
          written: true,
        };
      }
    }
  }

  /** Soft delete (spec 3.4): the stream reads as not found until written again. */
  deleteStream(streamName: string, expected: ExpectedRevision): DeleteOutcome {
    const facts = this.facts(streamName);
    const decision = checkCommit(facts, expected, [randomUUID()]);
    if (decision.kind === 'stream-deleted') return decision;
    if (decision.kind === 'wrong-expected-version' || (facts.current < 0n && !facts.hasMetadata)) {
      return { kind: 'wrong-expected-version', currentRevision: facts.current };
    }
    const [record] = this.write([this.metadataRecord(streamName, softDeleteMetadata())]);
    return { kind: 'success', position: record!.position };
  }

  /** Hard delete: a final `$streamDeleted` record; every later operation on the stream fails. */
  tombstoneStream(streamName: string, expected: ExpectedRevision): DeleteOutcome {
    const facts = this.facts(streamName);
    const decision = checkCommit(facts, expected, [randomUUID()]);
    if (decision.kind === 'stream-deleted') return decision;
    if (decision.kind === 'wrong-expected-version') return { kind: 'wrong-expected-version', currentRevision: facts.current };
    const [record] = this.write([
      {
        streamName,
        revision: TOMBSTONE_REVISION,
        event: {
          id: randomUUID(),
          type: SYSTEM_EVENT_TYPES.streamDeleted,
          isJson: false,
          data: new Uint8Array(),
          metadata: new Uint8Array(),
        },
      },
    ]);
    return { kind: 'success', position: record!.position };
  }

  /** Loads records read back from durable storage, in log order, without re-checking or re-storing them. */
  restore(records: Iterable<LogRecord>): void {
    for (const record of records) {
      if (record.index !== this.records.length)
        throw new Error(`Restored record ${record.index} out of order (expected ${this.records.length}).`);
      this.index(record);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Stream reads

  streamStatus(streamName: string): StreamStatus {
    const stream = this.streams.get(streamName);
    if (stream?.tombstoneIndex !== undefined) return 'tombstoned';
    // The server's index reader treats `$$x` as deleted once `x` is tombstoned, so reading the
    // metadata of a tombstoned stream fails with stream-deleted.
    if (streamName.startsWith('$$') && this.streams.get(streamName.slice(2))?.tombstoneIndex !== undefined) return 'tombstoned';
    if (this.limitsOf(streamName).softDeleted) return 'soft-deleted';
    return stream && stream.indices.length > 0 ? 'live' : 'absent';
  }

  /** Revision of the last event, -1n if none (soft-deleted streams keep theirs). */
  currentRevision(streamName: string): bigint {
    return BigInt((this.streams.get(streamName)?.indices.length ?? 0) - 1);
  }

  streamRecord(streamName: string, revision: bigint): LogRecord | undefined {
    if (revision < 0n) return undefined;
    const stream = this.streams.get(streamName);
    if (!stream) return undefined;
    if (revision === TOMBSTONE_REVISION) return stream.tombstoneIndex === undefined ? undefined : this.records[stream.tombstoneIndex];
    const index = stream.indices[Number(revision)];
    return index === undefined ? undefined : this.records[index];
  }

  tombstoneRecord(streamName: string): LogRecord | undefined {
    const index = this.streams.get(streamName)?.tombstoneIndex;
    return index === undefined ? undefined : this.records[index];
  }

  /**
   * Whether stream reads, stream subscriptions and stream persistent subscriptions may see this
   * record (`$tb`, `$maxCount`, `$maxAge`). `$all` ignores these limits.
   */
  isVisibleInStream(record: LogRecord): boolean {
    if (record.revision === TOMBSTONE_REVISION) return true;
    const limits = this.limitsOf(record.streamName);
    if (limits.softDeleted) return false;
    if (limits.truncateBefore !== undefined && record.revision < limits.truncateBefore) return false;
    if (limits.maxCount !== undefined && record.revision <= this.currentRevision(record.streamName) - BigInt(limits.maxCount)) return false;
    if (limits.maxAgeSeconds !== undefined && record.created < ticksFromMs(this.now() - limits.maxAgeSeconds * 1000)) return false;
    return true;
  }

  /** The lowest revision the stream's limits may still show (a cheap lower bound for readers). */
  firstVisibleRevision(streamName: string): bigint {
    const limits = this.limitsOf(streamName);
    let first = limits.truncateBefore ?? 0n;
    if (limits.maxCount !== undefined) {
      const byCount = this.currentRevision(streamName) + 1n - BigInt(limits.maxCount);
      if (byCount > first) first = byCount;
    }
    return first;
  }

  /**
   * Spec 3.5: forwards from start/N ascending, backwards from end/N descending; lazily, so a
   * reader can stream a large result with backpressure.
   */
  readStream(streamName: string, direction: Direction, from: 'start' | 'end' | bigint, maxCount: bigint): ReadStreamOutcome {
    const status = this.streamStatus(streamName);
    if (status === 'tombstoned') return { kind: 'deleted' };
    if (status !== 'live') return { kind: 'not-found' };
    const current = this.currentRevision(streamName);
    const first = this.firstVisibleRevision(streamName);
    const visibleAt = (revision: bigint): LogRecord | undefined => {
      const record = this.streamRecord(streamName, revision)!;
      return this.isVisibleInStream(record) ? record : undefined;
    };
    function* revisions(): Generator<LogRecord> {
      let remaining = maxCount;
      if (direction === 'forwards') {
        if (from === 'end') return;
        let revision = from === 'start' ? 0n : from;
        if (revision < first) revision = first;
        for (; revision <= current && remaining > 0n; revision++) {
          const record = visibleAt(revision);
          if (!record) continue;
          remaining--;
          yield record;
        }
      } else {
        // Backwards from N beyond the end starts at the last event, as the server's index reader does.
        const start = from === 'end' ? current : from === 'start' ? 0n : from;
        for (let revision = start > current ? current : start; revision >= first && remaining > 0n; revision--) {
          const record = visibleAt(revision);
          if (!record) continue;
          remaining--;
          yield record;
        }
      }
    }
    return { kind: 'ok', revisions: revisions() };
  }

  // ---------------------------------------------------------------------------------------
  // $all reads

  /** Index of the first record at or after `position` (length if none). */
  indexAtOrAfter(position: bigint): number {
    let low = 0;
    let high = this.records.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.records[middle]!.position < position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Spec 3.5: forwards from P includes P; backwards from P excludes it. Lazy, like `readStream`. */
  *readAll(direction: Direction, from: 'start' | 'end' | bigint, maxCount: bigint): Generator<LogRecord> {
    let remaining = maxCount;
    if (direction === 'forwards') {
      let index = from === 'start' ? 0 : from === 'end' ? this.records.length : this.indexAtOrAfter(from);
      for (; index < this.records.length && remaining > 0n; index++, remaining--) yield this.records[index]!;
    } else {
      let index = (from === 'end' ? this.records.length : from === 'start' ? 0 : this.indexAtOrAfter(from)) - 1;
      for (; index >= 0 && remaining > 0n; index--, remaining--) yield this.records[index]!;
    }
  }

  /** The target of a `$>` link (data `"{revision}@{stream}"`), if it exists. */
  resolveLink(link: LogRecord): LogRecord | undefined {
    if (link.type !== SYSTEM_EVENT_TYPES.link) return undefined;
    const match = /^(\d+)@(.+)$/s.exec(Buffer.from(link.data).toString('utf8'));
    if (!match) return undefined;
    if (this.streamStatus(match[2]!) === 'tombstoned') return undefined;
    const target = this.streamRecord(match[2]!, BigInt(match[1]!));
    // The server resolves with a stream read of that one event, so whatever stream reads do not
    // show (soft delete, `$tb`, `$maxCount`, `$maxAge`) comes back as an unresolved link.
    return target && this.isVisibleInStream(target) ? target : undefined;
  }

  limitsOf(streamName: string): StreamLimits {
    // The server reads every metastream with a fixed `$maxCount` of 1 (its MetastreamMaxCount):
    // only the latest `$metadata` is in force, so only it is shown.
    if (streamName.startsWith('$$')) return METASTREAM_LIMITS;
    return this.limits.get(streamName) ?? NO_LIMITS;
  }

  // ---------------------------------------------------------------------------------------
  // Internals

  private facts(streamName: string): StreamFacts {
    const stream = this.streams.get(streamName);
    const limits = this.limitsOf(streamName);
    return {
      tombstoned: stream?.tombstoneIndex !== undefined,
      current: this.currentRevision(streamName),
      hasMetadata: this.currentRevision(metadataStreamOf(streamName)) >= 0n,
      softDeleted: limits.softDeleted,
      idAt: (revision) => this.streamRecord(streamName, revision)?.id,
      revisionOf: (id) => stream?.revisionById.get(id),
    };
  }

  /** For `$$x` while `x` is soft-deleted: `x`. */
  private softDeletedStreamOfMetastream(streamName: string): string | undefined {
    if (!streamName.startsWith('$$')) return undefined;
    const original = streamName.slice(2);
    return this.limitsOf(original).softDeleted ? original : undefined;
  }

  private metadataRecord(streamName: string, data: Uint8Array): PendingRecord {
    const metaStream = metadataStreamOf(streamName);
    return {
      streamName: metaStream,
      revision: this.currentRevision(metaStream) + 1n,
      event: { id: randomUUID(), type: SYSTEM_EVENT_TYPES.metadata, isJson: true, data, metadata: new Uint8Array() },
    };
  }

  private write(pending: readonly PendingRecord[]): LogRecord[] {
    const created = ticksFromMs(this.now());
    let position = this.endPosition;
    const written = pending.map(({ streamName, revision, event }, i): LogRecord => {
      position += recordFootprint(streamName, event);
      return { index: this.records.length + i, position, streamName, revision, created, ...event };
    });
    // Durable first: a record that failed to reach the disk never becomes visible.
    this.storage?.write(written);
    for (const record of written) this.index(record);
    for (const listener of this.listeners) listener(written);
    return written;
  }

  private index(record: LogRecord): void {
    this.records.push(record);
    this.endPosition = record.position;
    this.storedBytes += record.data.length + record.metadata.length + record.type.length + record.streamName.length;
    let stream = this.streams.get(record.streamName);
    if (!stream) {
      stream = { indices: [], revisionById: new Map(), tombstoneIndex: undefined };
      this.streams.set(record.streamName, stream);
    }
    if (record.revision === TOMBSTONE_REVISION) {
      stream.tombstoneIndex = record.index;
      return;
    }
    stream.indices.push(record.index);
    stream.revisionById.set(record.id, record.revision);
    if (record.streamName.startsWith('$$') && record.type === SYSTEM_EVENT_TYPES.metadata) {
      this.limits.set(record.streamName.slice(2), parseStreamMetadata(record.data));
    }
  }
}

interface PendingRecord {
  streamName: string;
  revision: bigint;
  event: ProposedEvent;
}
