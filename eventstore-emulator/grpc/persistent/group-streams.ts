import { randomUUID } from 'node:crypto';
import type { EventLog } from '../../log/event-log';
import { metadataStreamOf, SYSTEM_EVENT_TYPES, type LogRecord, type ProposedEvent } from '../../log/records';
import type { GroupMessage } from './message';

/**
 * The two streams the server keeps per group, written through the log like any other record so
 * `$all` readers see them: `$persistentsubscription-{key}-checkpoint` (`$SubscriptionCheckpoint`
 * events) and `$persistentsubscription-{key}-parked` (`$>` links to parked messages).
 */

const CHECKPOINT_EVENT_TYPE = '$SubscriptionCheckpoint';

// The ACLs the server puts on both streams; stored, not enforced (spec 4).
const ADMINS_ONLY_ACL = { $r: '$admins', $w: '$admins', $d: '$admins', $mr: '$admins', $mw: '$admins' };

function json(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

function proposed(type: string, isJson: boolean, data: Uint8Array, metadata: Uint8Array = new Uint8Array()): ProposedEvent {
  return { id: randomUUID(), type, isJson, data, metadata };
}

export class GroupStreams {
  readonly checkpointStream: string;
  readonly parkedStream: string;

  constructor(
    private readonly log: EventLog,
    key: string,
  ) {
    this.checkpointStream = `$persistentsubscription-${key}-checkpoint`;
    this.parkedStream = `$persistentsubscription-${key}-parked`;
  }

  /** The last checkpoint's text (the server stores a JSON string), if the stream shows one. */
  readCheckpoint(): string | undefined {
    if (this.log.streamStatus(this.checkpointStream) !== 'live') return undefined;
    const last = this.log.streamRecord(this.checkpointStream, this.log.currentRevision(this.checkpointStream));
    if (!last || !this.log.isVisibleInStream(last)) return undefined;
    try {
      const value: unknown = JSON.parse(Buffer.from(last.data).toString('utf8'));
      return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
    } catch {
      return undefined;
    }
  }

  writeCheckpoint(text: string): void {
    if (this.log.streamStatus(this.checkpointStream) !== 'live') {
      // First checkpoint (or first after a delete): the server sets $maxCount 2 first.
      this.writeMetadata(this.checkpointStream, { $maxCount: 2, $acl: { ...ADMINS_ONLY_ACL, $mr: '$all' } });
    }
    this.log.append(this.checkpointStream, 'any', [proposed(CHECKPOINT_EVENT_TYPE, true, json(text))]);
  }

  park(message: GroupMessage, reason: string, now: Date): void {
    // Link to the resolved event; an unresolved link keeps its own (broken) target.
    const target = message.event
      ? `${message.event.revision}@${message.event.streamName}`
      : Buffer.from(message.original.data).toString('utf8');
    const metadata = { added: now.toISOString(), reason, subscriptionEventNumber: Number(message.original.revision) };
    this.log.append(this.parkedStream, 'any', [proposed(SYSTEM_EVENT_TYPES.link, false, Buffer.from(target, 'utf8'), json(metadata))]);
  }

  /** Parked links still waiting: revisions `first` ≤ r < `end`. */
  parkedRange(): { first: bigint; end: bigint } {
    const end = this.log.currentRevision(this.parkedStream) + 1n;
    if (this.log.streamStatus(this.parkedStream) === 'soft-deleted') return { first: end, end };
    const first = this.log.firstVisibleRevision(this.parkedStream);
    return { first: first < end ? first : end, end };
  }

  parkedLink(revision: bigint): LogRecord | undefined {
    return this.log.streamRecord(this.parkedStream, revision);
  }

  /** Replayed parked messages leave the parked stream the server's way: by raising `$tb`. */
  truncateParked(before: bigint): void {
    this.writeMetadata(this.parkedStream, { $tb: Number(before), $acl: ADMINS_ONLY_ACL });
  }

  /** Group deleted: both streams are soft-deleted, so a group created again starts afresh. */
  delete(): void {
    for (const stream of [this.checkpointStream, this.parkedStream]) {
      if (this.log.streamStatus(stream) === 'live') this.log.deleteStream(stream, 'any');
    }
  }

  private writeMetadata(stream: string, metadata: Record<string, unknown>): void {
    // Keep records of an earlier (deleted) group hidden when the stream is configured afresh.
    const hidden = this.log.streamStatus(stream) === 'soft-deleted' ? { $tb: Number(this.log.currentRevision(stream) + 1n) } : {};
    this.log.append(metadataStreamOf(stream), 'any', [proposed(SYSTEM_EVENT_TYPES.metadata, true, json({ ...metadata, ...hidden }))]);
  }
}
