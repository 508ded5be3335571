import type { GroupConnection } from './connection';
import type { GroupMessage } from './message';
import type { ConsumerStrategyName } from './settings';
import { sourceStreamOf } from './source';

/**
 * How a group picks the connection for a message (the server's consumer strategies).
 * `skipped` = this message cannot go now but later ones may (Pinned: its connection is full);
 * `no-capacity` = nothing can be sent at all, stop trying.
 */
export type PushResult = 'sent' | 'skipped' | 'no-capacity';

export interface ConsumerStrategy {
  readonly name: ConsumerStrategyName;
  add(connection: GroupConnection): void;
  remove(connection: GroupConnection): void;
  push(message: GroupMessage): PushResult;
}

/** Rotates after every attempt, so consecutive messages go to different connections. */
class RoundRobin implements ConsumerStrategy {
  readonly name: ConsumerStrategyName = 'RoundRobin';
  protected readonly queue: GroupConnection[] = [];

  add(connection: GroupConnection): void {
    this.queue.push(connection);
  }

  remove(connection: GroupConnection): void {
    const index = this.queue.indexOf(connection);
    if (index >= 0) this.queue.splice(index, 1);
  }

  push(message: GroupMessage): PushResult {
    for (let i = 0; i < this.queue.length; i++) {
      const connection = this.queue.shift()!;
      this.queue.push(connection);
      if (connection.push(message)) return 'sent';
    }
    return 'no-capacity';
  }
}

/** Fills the connection at the head until it is full, then moves on to the next one. */
class DispatchToSingle extends RoundRobin {
  override readonly name: ConsumerStrategyName = 'DispatchToSingle';

  override push(message: GroupMessage): PushResult {
    for (let i = 0; i < this.queue.length; i++) {
      if (this.queue[0]!.push(message)) return 'sent';
      this.queue.push(this.queue.shift()!);
    }
    return 'no-capacity';
  }
}

const BUCKET_COUNT = 1024;

/** FNV-1a: any stable hash will do; the server's own (xxHash) is not observable by clients. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    value ^= byte;
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

/**
 * Source streams hash to 1024 buckets; a bucket sticks to one connection, chosen as the one with
 * the fewest buckets. A new connection takes over buckets from overloaded ones, a leaving one
 * frees its buckets. A message whose connection is full waits (`skipped`) while others proceed.
 */
class Pinned implements ConsumerStrategy {
  readonly name: ConsumerStrategyName = 'Pinned';
  private readonly owners: (GroupConnection | undefined)[] = new Array(BUCKET_COUNT).fill(undefined);
  private readonly bucketCounts = new Map<GroupConnection, number>();

  add(connection: GroupConnection): void {
    this.bucketCounts.set(connection, 0);
    const assigned = this.owners.filter((owner) => owner !== undefined).length;
    const fairShare = Math.ceil(assigned / this.bucketCounts.size);
    for (const [other, count] of this.bucketCounts) {
      let excess = count - fairShare;
      for (let bucket = 0; bucket < BUCKET_COUNT && excess > 0; bucket++) {
        if (this.owners[bucket] !== other) continue;
        this.assign(bucket, connection);
        excess--;
      }
    }
  }

  remove(connection: GroupConnection): void {
    this.bucketCounts.delete(connection);
    for (let bucket = 0; bucket < BUCKET_COUNT; bucket++) {
      if (this.owners[bucket] === connection) this.owners[bucket] = undefined;
    }
  }

  push(message: GroupMessage): PushResult {
    let capacity = 0;
    for (const connection of this.bucketCounts.keys()) capacity += Math.max(0, connection.availableSlots);
    if (capacity === 0) return 'no-capacity';
    const bucket = hash(sourceStreamOf(message)) % BUCKET_COUNT;
    const owner = this.owners[bucket] ?? this.assign(bucket, this.leastAssigned());
    return owner.push(message) ? 'sent' : 'skipped';
  }

  private leastAssigned(): GroupConnection {
    let best: GroupConnection | undefined;
    for (const [connection, count] of this.bucketCounts) {
      if (!best || count < this.bucketCounts.get(best)!) best = connection;
    }
    return best!;
  }

  private assign(bucket: number, connection: GroupConnection): GroupConnection {
    const previous = this.owners[bucket];
    if (previous) this.bucketCounts.set(previous, this.bucketCounts.get(previous)! - 1);
    this.owners[bucket] = connection;
    this.bucketCounts.set(connection, this.bucketCounts.get(connection)! + 1);
    return connection;
  }
}

export function createStrategy(name: ConsumerStrategyName): ConsumerStrategy {
  switch (name) {
    case 'RoundRobin':
      return new RoundRobin();
    case 'DispatchToSingle':
      return new DispatchToSingle();
    case 'Pinned':
      return new Pinned();
  }
}
