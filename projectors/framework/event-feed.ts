/**
 * The subscription reader: a catch-up subscription to `$all`, filtered on stream-name prefixes,
 * turned into an in-order queue of items a batcher can take from with a timeout.
 *
 * Items are events, filter checkpoints (the server's "nothing for you up to here", so the stored
 * position can move past long runs of other streams' events) and one "caught up" marker. The
 * client reports checkpoints and caught-up out of band, while earlier events may still sit in
 * its buffer; both are held back here until those events are queued, so the order is the log's.
 */
import {
  START,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
  type Position,
} from '@eventstore/db-client';
import { setTimeout as sleep } from 'node:timers/promises';
import { ItemQueue } from './item-queue';
import type { RawEvent } from './types';

export type FeedItem = { kind: 'event'; event: RawEvent } | { kind: 'checkpoint'; position: Position } | { kind: 'caughtUp' };

/** What a batcher takes items from: an EventFeed, or a projection's share of a SharedFeed. */
export interface FeedSource {
  /** The next item, or undefined when none arrives within `timeoutMs` (forever when undefined). */
  next(timeoutMs?: number): Promise<FeedItem | undefined>;
  close(): Promise<void>;
  /** Items queued and not yet taken. */
  readonly waiting: number;
}

export interface EventFeedOptions {
  /** Resume after this position (exclusive); undefined = from the start of the log. */
  after: Position | undefined;
  streamPrefixes: readonly string[];
  /** Pause the subscription when this many items wait (backpressure). Default 2000. */
  highWaterMark?: number;
  /** Filter checkpoints every `32 × this` records scanned (default 1: every 32). */
  checkpointInterval?: number;
}

function schemaVersionIn(metadata: unknown): unknown {
  return typeof metadata === 'object' && metadata !== null && !(metadata instanceof Uint8Array)
    ? (metadata as { schemaVersion?: unknown }).schemaVersion
    : undefined;
}

/** A record of `$all` as the projections read it. */
export function rawEventOf(recorded: NonNullable<AllStreamResolvedEvent['event']>, position: Position): RawEvent {
  return {
    id: recorded.id,
    streamName: recorded.streamId,
    revision: recorded.revision,
    position,
    type: recorded.type,
    data: recorded.data,
    metadata: recorded.metadata,
    schemaVersion: schemaVersionIn(recorded.metadata),
    recordedAt: recorded.created,
  };
}

export class EventFeed implements FeedSource {
  private readonly queue = new ItemQueue<FeedItem>();
  private ended = false;
  private readonly subscription: AllStreamSubscription;
  private readonly highWaterMark: number;
  /** Events still in the client's buffer when caught-up was reported. */
  private caughtUpAfter: number | undefined;

  constructor(client: EventStoreDBClient, options: EventFeedOptions) {
    this.highWaterMark = options.highWaterMark ?? 2000;
    this.subscription = client.subscribeToAll({
      fromPosition: options.after ?? START,
      filter: streamNameFilter({
        prefixes: [...options.streamPrefixes],
        checkpointInterval: options.checkpointInterval ?? 1,
        checkpointReached: async (subscription, position) => {
          // Events before this checkpoint may still be buffered in the client: queue them first.
          while (subscription.readableLength > 0 && !this.ended) await sleep(1);
          this.push({ kind: 'checkpoint', position });
        },
      }),
    });
    this.subscription.on('data', (resolved: AllStreamResolvedEvent) => this.onEvent(resolved));
    this.subscription.on('caughtUp', () => {
      const buffered = this.subscription.readableLength;
      if (buffered === 0) this.push({ kind: 'caughtUp' });
      else this.caughtUpAfter = buffered;
    });
    this.subscription.on('error', (error: Error) => this.fail(error));
    this.subscription.on('end', () => this.fail(new Error('the $all subscription ended')));
  }

  private onEvent(resolved: AllStreamResolvedEvent): void {
    const recorded = resolved.event;
    if (recorded?.position) {
      // System records ($metadata of our streams, $streamDeleted tombstones) share the prefixes.
      if (!recorded.type.startsWith('$')) {
        this.push({ kind: 'event', event: rawEventOf(recorded, recorded.position) });
      } else {
        this.push({ kind: 'checkpoint', position: recorded.position });
      }
    }
    if (this.caughtUpAfter !== undefined && --this.caughtUpAfter <= 0) {
      this.caughtUpAfter = undefined;
      this.push({ kind: 'caughtUp' });
    }
  }

  private push(item: FeedItem): void {
    this.queue.push(item);
    if (this.queue.waiting >= this.highWaterMark) this.subscription.pause();
  }

  private fail(error: Error): void {
    if (this.ended) return;
    this.queue.fail(error);
  }

  get waiting(): number {
    return this.queue.waiting;
  }

  async next(timeoutMs?: number): Promise<FeedItem | undefined> {
    const item = await this.queue.next(timeoutMs);
    if (this.subscription.isPaused() && this.queue.waiting < this.highWaterMark / 2) this.subscription.resume();
    return item;
  }

  async close(): Promise<void> {
    this.ended = true;
    this.queue.wake();
    await this.subscription.unsubscribe().catch(() => undefined);
  }
}
