import type { EventLog } from '../../log/event-log';
import type { GroupConnection } from './connection';
import { createStrategy, type ConsumerStrategy } from './consumer-strategy';
import { GroupStreams } from './group-streams';
import { isReplayed, newMessage, replayedMessage, retried, type GroupMessage } from './message';
import { isLiveStart, type ConsumerStrategyName, type GroupSettings } from './settings';
import {
  formatPosition,
  groupKey,
  openCursor,
  parsePosition,
  resolve,
  type CursorStart,
  type GroupSource,
  type SourceCursor,
} from './source';

/**
 * One subscription group's state machine (the server's `PersistentSubscription`): reads its
 * source from the log, hands messages to connections with free slots, tracks acks, retries,
 * timeouts and parking, and writes checkpoints. Every method is synchronous, so a group's state
 * is never seen half-changed.
 */

export type NackAction = 'unknown' | 'park' | 'retry' | 'skip' | 'stop';

export interface GroupEnvironment {
  readonly log: EventLog;
  readonly now: () => number;
}

interface Outstanding {
  readonly message: GroupMessage;
  readonly expiresAt: number;
}

/**
 * Records read but not yet handed out. Filtered-out records stay in line too: they may only
 * move the checkpoint once every message read before them has been handed out.
 */
type Buffered =
  | { readonly kind: 'message'; readonly message: GroupMessage }
  | { readonly kind: 'filtered-out'; readonly sequence: number; readonly position: bigint };

export interface GroupStatistics {
  readonly status: string;
  readonly lastCheckpointedPosition: string;
  readonly lastKnownEventPosition: string;
  readonly totalItems: number;
  readonly countSinceLastMeasurement: number;
  readonly averagePerSecond: number;
  readonly readBufferCount: number;
  readonly retryBufferCount: number;
  readonly outstandingMessagesCount: number;
  readonly totalInFlightMessages: number;
  readonly parkedMessageCount: bigint;
  readonly connections: readonly ConnectionStatistics[];
}

export interface ConnectionStatistics {
  readonly connection: GroupConnection;
  readonly averageItemsPerSecond: number;
  readonly countSinceLastMeasurement: number;
}

export class SubscriptionGroup {
  readonly key: string;
  readonly streams: GroupStreams;
  private readonly strategy: ConsumerStrategy;
  private readonly connectionList: GroupConnection[] = [];
  private readonly cursor: SourceCursor;
  private readonly readBuffer: Buffered[] = [];
  private readonly retryQueue: GroupMessage[] = [];
  private readonly outstanding = new Map<string, Outstanding>();

  // Checkpoint bookkeeping, in sequence numbers (records read, filtered-out ones included).
  private nextSequence: number;
  /** Position of the last record read: the "previous position" of the next one. */
  private lastReadPosition: bigint | undefined;
  /** The newest record handed out or passed over, and its position. */
  private lastKnownSequence: number;
  private lastKnownPosition: bigint | undefined;
  private lastCheckpointedSequence: number;
  private lastCheckpointedPosition: bigint | undefined;
  private lastCheckpointTime = Number.NEGATIVE_INFINITY;

  // Statistics for GetInfo.
  private newestEventPosition: bigint | undefined;
  private totalItems = 0;
  private itemsAtLastMeasurement = 0;
  private lastMeasurementTime: number;

  constructor(
    readonly source: GroupSource,
    readonly groupName: string,
    readonly settings: GroupSettings,
    private readonly environment: GroupEnvironment,
  ) {
    this.key = groupKey(source, groupName);
    this.streams = new GroupStreams(environment.log, this.key);
    this.strategy = createStrategy(settings.consumerStrategy as ConsumerStrategyName);
    this.lastMeasurementTime = environment.now();

    const checkpointText = this.streams.readCheckpoint();
    const checkpoint = checkpointText === undefined ? undefined : parsePosition(source, checkpointText);
    let start: CursorStart;
    if (checkpoint !== undefined) {
      // Resume after the checkpoint; it counts as sequence 0, already checkpointed.
      start = { kind: 'after', position: checkpoint };
      this.nextSequence = 1;
      this.lastKnownSequence = 0;
      this.lastCheckpointedSequence = 0;
      this.lastReadPosition = checkpoint;
      this.lastKnownPosition = checkpoint;
      this.lastCheckpointedPosition = checkpoint;
    } else {
      const startFrom = settings.startFrom;
      start = isLiveStart(startFrom)
        ? { kind: 'live' }
        : { kind: 'from', position: startFrom.kind === 'revision' ? startFrom.revision : startFrom.commit };
      this.nextSequence = 0;
      this.lastKnownSequence = -1;
      this.lastCheckpointedSequence = -1;
    }
    this.cursor = openCursor(environment.log, source, settings.resolveLinkTos, start);
    this.pump();
  }

  get connections(): readonly GroupConnection[] {
    return this.connectionList;
  }

  get isFull(): boolean {
    return this.settings.maxSubscriberCount !== 0 && this.connectionList.length >= this.settings.maxSubscriberCount;
  }

  // ---------------------------------------------------------------------------------------
  // Connections

  addConnection(connection: GroupConnection): void {
    this.connectionList.push(connection);
    this.strategy.add(connection);
    this.pump();
  }

  /** The client went away: whatever it held goes back to the retry queue, retry count + 1. */
  removeConnection(connection: GroupConnection): void {
    const index = this.connectionList.indexOf(connection);
    if (index < 0) return;
    this.connectionList.splice(index, 1);
    this.strategy.remove(connection);
    // The server does not apply the park rule here: a lost connection is not the message's fault.
    const lost = [...connection.inFlight.values()].sort((a, b) => compare(a.original.revision, b.original.revision));
    for (const message of lost) this.retry(message);
    this.pump();
  }

  /** The group is being replaced or removed: every connection ends with `persistent-subscription-dropped`. */
  dropAllConnections(): void {
    const connections = this.connectionList.splice(0);
    for (const connection of connections) {
      this.strategy.remove(connection);
      connection.drop();
    }
  }

  // ---------------------------------------------------------------------------------------
  // Client feedback

  ack(ids: readonly string[]): void {
    this.finishProcessing(ids);
    this.tryCheckpoint(false);
    this.pump();
  }

  nack(ids: readonly string[], action: NackAction, reason: string): void {
    for (const id of ids) {
      const pending = this.outstanding.get(id);
      switch (action) {
        case 'retry':
        case 'unknown':
          if (pending && !this.parkIfOutOfRetries(pending.message)) this.retry(pending.message);
          break;
        case 'park':
          if (pending) this.park(pending.message, `Client explicitly NAK'ed message.\n${reason}`);
          break;
        case 'stop':
        case 'skip':
          // Stop does nothing more on the server than Skip: the message counts as handled.
          break;
      }
    }
    this.finishProcessing(ids);
    this.tryCheckpoint(false);
    this.pump();
  }

  /** Timer tick: expired messages get the retry rule; time-based checkpoints. */
  tick(): void {
    const now = this.environment.now();
    const expired = [...this.outstanding.values()].filter((each) => each.expiresAt <= now).sort((a, b) => a.expiresAt - b.expiresAt);
    for (const { message } of expired) {
      this.outstanding.delete(message.id);
      if (!this.parkIfOutOfRetries(message)) this.retry(message);
    }
    this.pump();
    this.tryCheckpoint(true);
  }

  /** New records in the log. */
  wake(): void {
    this.pump();
  }

  /**
   * Parked messages go back to the retry queue, oldest first, with retry count 0; `stopAt` is an
   * exclusive revision of the parked stream (the server's meaning). The replayed links are then
   * truncated away.
   */
  replayParked(stopAt: bigint | undefined): void {
    const { first, end } = this.streams.parkedRange();
    const stop = stopAt !== undefined && stopAt < end ? stopAt : end;
    if (stop <= first) return;
    for (let revision = first; revision < stop; revision++) {
      const link = this.streams.parkedLink(revision);
      if (!link) continue;
      const event = resolve(this.environment.log, link, true, link.position);
      // A parked message whose event is gone (deleted, truncated) cannot be replayed.
      if (!event.event) continue;
      this.retryQueue.push(replayedMessage(event));
    }
    this.streams.truncateParked(stop);
    this.pump();
  }

  // ---------------------------------------------------------------------------------------
  // Statistics

  statistics(): GroupStatistics {
    const now = this.environment.now();
    const elapsedMs = now - this.lastMeasurementTime;
    const perSecond = (count: number) => (elapsedMs > 0 ? Math.floor((count * 1000) / elapsedMs) : 0);
    const sinceLast = this.totalItems - this.itemsAtLastMeasurement;
    this.itemsAtLastMeasurement = this.totalItems;
    this.lastMeasurementTime = now;
    const connections = this.connectionList.map((connection) => {
      const count = connection.totalItems - connection.itemsAtLastMeasurement;
      connection.itemsAtLastMeasurement = connection.totalItems;
      return { connection, averageItemsPerSecond: perSecond(count), countSinceLastMeasurement: count };
    });
    const { first, end } = this.streams.parkedRange();
    const format = (position: bigint | undefined) => (position === undefined ? '' : formatPosition(this.source, position));
    return {
      status: this.cursor.atEnd ? 'Live' : 'Behind',
      lastCheckpointedPosition: format(this.lastCheckpointedPosition),
      lastKnownEventPosition: format(this.newestEventPosition),
      totalItems: this.totalItems,
      countSinceLastMeasurement: sinceLast,
      averagePerSecond: perSecond(sinceLast),
      readBufferCount: this.readBuffer.filter((entry) => entry.kind === 'message').length,
      retryBufferCount: this.retryQueue.length,
      outstandingMessagesCount: this.outstanding.size,
      totalInFlightMessages: this.connectionList.reduce((sum, connection) => sum + connection.inFlight.size, 0),
      parkedMessageCount: end - first,
      connections,
    };
  }

  // ---------------------------------------------------------------------------------------
  // Dispatch

  /** Read what fits into the buffer and hand out what the connections can take, until stuck. */
  private pump(): void {
    for (;;) {
      this.fillReadBuffer();
      if (!this.dispatch()) return;
    }
  }

  private fillReadBuffer(): void {
    const capacity = Math.max(1, this.settings.historyBufferSize);
    while (this.readBuffer.length < capacity) {
      const pulled = this.cursor.next();
      if (!pulled) return;
      const sequence = this.nextSequence++;
      const previousPosition = this.lastReadPosition;
      if (pulled.kind === 'filtered-out') {
        this.lastReadPosition = pulled.position;
        this.readBuffer.push({ kind: 'filtered-out', sequence, position: pulled.position });
        continue;
      }
      this.lastReadPosition = pulled.event.position;
      if (this.newestEventPosition === undefined || pulled.event.position > this.newestEventPosition) {
        this.newestEventPosition = pulled.event.position;
      }
      this.readBuffer.push({ kind: 'message', message: newMessage(pulled.event, sequence, previousPosition) });
    }
  }

  /** Retries first, then new messages in order. True if anything moved. */
  private dispatch(): boolean {
    let moved = this.passLeadingFilteredOut();
    for (let i = 0; i < this.retryQueue.length;) {
      const result = this.strategy.push(this.retryQueue[i]!);
      if (result === 'no-capacity') return moved;
      if (result === 'skipped') {
        i++;
        continue;
      }
      this.begin(this.retryQueue.splice(i, 1)[0]!);
      moved = true;
    }
    for (let i = 0; i < this.readBuffer.length;) {
      const entry = this.readBuffer[i]!;
      if (entry.kind === 'filtered-out') {
        i++;
        continue;
      }
      const result = this.strategy.push(entry.message);
      if (result === 'no-capacity') return moved;
      if (result === 'skipped') {
        i++;
        continue;
      }
      this.readBuffer.splice(i, 1);
      this.begin(entry.message);
      moved = true;
      if (i === 0) moved = this.passLeadingFilteredOut() || moved;
    }
    return moved;
  }

  /** Filtered-out records at the head of the line have been passed over: they advance the checkpoint. */
  private passLeadingFilteredOut(): boolean {
    let passed = false;
    while (this.readBuffer[0]?.kind === 'filtered-out') {
      const entry = this.readBuffer.shift() as Extract<Buffered, { kind: 'filtered-out' }>;
      this.lastKnownSequence = entry.sequence;
      this.lastKnownPosition = entry.position;
      passed = true;
    }
    if (passed) this.tryCheckpoint(false);
    return passed;
  }

  private begin(message: GroupMessage): void {
    this.totalItems++;
    if (message.sequence !== undefined && message.sequence > this.lastKnownSequence) {
      this.lastKnownSequence = message.sequence;
      this.lastKnownPosition = message.position;
    }
    // A second message with an id already in flight is sent but not tracked twice (as the server does).
    if (!this.outstanding.has(message.id)) {
      this.outstanding.set(message.id, { message, expiresAt: this.environment.now() + this.settings.messageTimeoutMs });
    }
  }

  private finishProcessing(ids: readonly string[]): void {
    for (const id of ids) {
      this.outstanding.delete(id);
      this.releaseEverywhere(id);
    }
  }

  private releaseEverywhere(id: string): void {
    for (const connection of this.connectionList) connection.release(id);
  }

  private retry(message: GroupMessage): void {
    this.outstanding.delete(message.id);
    this.releaseEverywhere(message.id);
    const again = retried(message);
    if (isReplayed(again)) {
      this.retryQueue.push(again);
      return;
    }
    // Keep the retry queue in source order; replayed parked messages stay at its end.
    const before = this.retryQueue.findIndex((queued) => !isReplayed(queued) && queued.position > again.position);
    if (before < 0) {
      const firstReplayed = this.retryQueue.findIndex(isReplayed);
      this.retryQueue.splice(firstReplayed < 0 ? this.retryQueue.length : firstReplayed, 0, again);
    } else {
      this.retryQueue.splice(before, 0, again);
    }
  }

  private parkIfOutOfRetries(message: GroupMessage): boolean {
    if (message.retryCount < this.settings.maxRetryCount) return false;
    this.park(message, `Reached retry count of ${this.settings.maxRetryCount}`);
    return true;
  }

  private park(message: GroupMessage, reason: string): void {
    this.streams.park(message, reason, new Date(this.environment.now()));
    this.outstanding.delete(message.id);
    this.releaseEverywhere(message.id);
  }

  // ---------------------------------------------------------------------------------------
  // Checkpoints

  /**
   * The server's rule: the checkpoint is the position just before the oldest message still
   * pending (in flight, awaiting retry, or not yet handed out), else the newest one handled.
   * Written once `maxCheckpointCount` messages have been handled since the last one, or on a
   * tick once `minCheckpointCount` have and `checkpointAfterMs` has passed (0 = never by time).
   */
  private tryCheckpoint(isTimeCheck: boolean): void {
    let lowest: GroupMessage | undefined;
    const consider = (message: GroupMessage) => {
      if (message.sequence !== undefined && (lowest === undefined || message.sequence < lowest.sequence!)) lowest = message;
    };
    for (const { message } of this.outstanding.values()) consider(message);
    for (const message of this.retryQueue) consider(message);
    for (const entry of this.readBuffer) if (entry.kind === 'message') consider(entry.message);

    let sequence: number;
    let position: bigint | undefined;
    if (lowest) {
      sequence = lowest.sequence! - 1;
      position = lowest.previousPosition;
      // The very first message is still pending and there was no checkpoint: nothing to save yet.
      if (position === undefined) return;
    } else {
      sequence = this.lastKnownSequence;
      position = this.lastKnownPosition;
    }
    if (sequence < 0 || position === undefined) return;

    const handled = sequence - this.lastCheckpointedSequence;
    // Nothing new: the server would write the same checkpoint again when min is 0; we do not.
    if (handled <= 0) return;
    const now = this.environment.now();
    const after = this.settings.checkpointAfterMs === 0 ? Number.POSITIVE_INFINITY : this.settings.checkpointAfterMs;
    if (now - this.lastCheckpointTime < after && handled < this.settings.maxCheckpointCount) return;
    if ((isTimeCheck && handled >= this.settings.minCheckpointCount) || handled >= this.settings.maxCheckpointCount) {
      this.lastCheckpointTime = now;
      this.lastCheckpointedSequence = sequence;
      this.lastCheckpointedPosition = position;
      this.streams.writeCheckpoint(formatPosition(this.source, position));
    }
  }
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
