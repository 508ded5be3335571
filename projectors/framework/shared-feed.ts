/**
 * One `$all` subscription shared by several projections that start from the same place, as in a
 * rebuild: the log is read, sent and decoded once instead of once per projection (decoding
 * events in the client was the largest cost of a rebuild with a subscription each).
 *
 * Each projection takes its own in-order queue (`feedFor`): its events and the caught-up marker.
 * No checkpoints past other streams' events: a rebuilt projection then stands at its own last
 * event, never ahead of where the live one (moved only by its own filter's checkpoints) can be,
 * so the replay CLI can always bring the two to the same position by folding forward. The shared
 * subscription pauses while any queue is full, so the slowest projection sets the pace and
 * memory stays bounded. A projection that asks again (its runner restarts after an error) gets a
 * subscription of its own from its own checkpoint: the shared one cannot go back for it.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import { EventFeed, type FeedItem, type FeedSource } from './event-feed';
import { ItemQueue } from './item-queue';
import type { Position } from './types';

export interface SharedFeedOptions {
  /** Where every member starts (exclusive); undefined = the start of the log. */
  after: Position | undefined;
  /** Pause the subscription when a member has this many items waiting. Default 2000. */
  highWaterMark?: number;
}

interface Member {
  readonly prefixes: readonly string[];
  readonly queue: ItemQueue<FeedItem>;
  /** Took its first item: the shared subscription can no longer serve it from the start. */
  started: boolean;
  closed: boolean;
}

export class SharedFeed {
  private readonly members = new Map<string, Member>();
  private source: EventFeed | undefined;
  private pump: Promise<void> | undefined;
  private failure: Error | undefined;
  private readonly highWaterMark: number;
  private paused: (() => void) | undefined;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SharedFeedOptions,
  ) {
    this.highWaterMark = options.highWaterMark ?? 2000;
  }

  /** Registers a projection before the feed starts; every member must be registered before the first `feedFor`. */
  join(name: string, streamPrefixes: readonly string[]): this {
    if (this.source) throw new Error(`${name} joined a shared feed that has started`);
    this.members.set(name, { prefixes: streamPrefixes, queue: new ItemQueue<FeedItem>(), started: false, closed: false });
    return this;
  }

  /** The feed of `name` from `after`: its queue of the shared subscription the first time, a subscription of its own after that. */
  feedFor(name: string, streamPrefixes: readonly string[], after: Position | undefined): FeedSource {
    const member = this.members.get(name);
    const fresh = member && !member.closed && !member.started && samePosition(after, this.options.after);
    if (!member || !fresh) {
      // Never to take from the shared queue again: it must not hold the others back.
      if (member && !member.closed) void this.leave(member);
      return new EventFeed(this.client, { after, streamPrefixes });
    }
    this.start();
    return {
      next: (timeoutMs) => this.next(member, timeoutMs),
      close: async () => this.leave(member),
      get waiting() {
        return member.queue.waiting;
      },
    };
  }

  private start(): void {
    if (this.source) return;
    const prefixes = [...new Set([...this.members.values()].flatMap((member) => member.prefixes))];
    const source = new EventFeed(this.client, { after: this.options.after, streamPrefixes: prefixes, highWaterMark: this.highWaterMark });
    this.source = source;
    this.pump = this.run(source).catch((error: unknown) => {
      this.failure = error instanceof Error ? error : new Error(String(error));
      for (const member of this.members.values()) member.queue.fail(this.failure);
    });
  }

  private async run(source: EventFeed): Promise<void> {
    for (;;) {
      if ([...this.members.values()].every((member) => member.closed)) return;
      // The slowest open member holds everyone back: memory stays bounded.
      while ([...this.members.values()].some((member) => !member.closed && member.queue.waiting >= this.highWaterMark)) {
        await new Promise<void>((resolve) => (this.paused = resolve));
      }
      const item = await source.next();
      if (!item) continue;
      if (item.kind === 'checkpoint') continue;
      for (const member of this.members.values()) {
        if (member.closed) continue;
        if (item.kind === 'caughtUp' || member.prefixes.some((prefix) => item.event.streamName.startsWith(prefix))) member.queue.push(item);
      }
    }
  }

  private async next(member: Member, timeoutMs?: number): Promise<FeedItem | undefined> {
    member.started = true;
    const item = await member.queue.next(timeoutMs);
    if (member.queue.waiting < this.highWaterMark / 2) this.resume();
    return item;
  }

  private resume(): void {
    const paused = this.paused;
    this.paused = undefined;
    paused?.();
  }

  private async leave(member: Member): Promise<void> {
    member.closed = true;
    member.queue.clear();
    this.resume();
    if ([...this.members.values()].every((other) => other.closed)) await this.close();
  }

  /** Ends the shared subscription (every member's queue ends with it). */
  async close(): Promise<void> {
    for (const member of this.members.values()) member.closed = true;
    this.resume();
    await this.source?.close();
    await this.pump;
  }
}

function samePosition(a: Position | undefined, b: Position | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.commit === b.commit && a.prepare === b.prepare;
}
