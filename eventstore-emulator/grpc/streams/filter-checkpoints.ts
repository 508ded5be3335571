/**
 * When a filtered `$all` subscription sends `checkpoint` (spec 3.8). A filter may skip long
 * runs of the log; checkpoints tell the client how far the server has looked, so it can resume
 * there without re-scanning. Every record considered (matched or not) counts; every
 * `interval` of them yields a checkpoint at the last one. A checkpoint never goes below the
 * last event delivered, and one equal to the previous checkpoint is dropped (as the server's
 * enumerator does).
 */
export class FilterCheckpoints {
  private considered = 0;
  private lastScanned: bigint | undefined;
  private lastDelivered: bigint | undefined;
  private lastCheckpoint: bigint | undefined;

  constructor(private readonly interval: number) {}

  /** A record after the start was looked at; returns the checkpoint to send now, if any. */
  consider(position: bigint, delivered: boolean): bigint | undefined {
    this.lastScanned = position;
    if (delivered) this.lastDelivered = position;
    this.considered++;
    if (this.considered < this.interval) return undefined;
    this.considered = 0;
    return this.accept(position);
  }

  /**
   * Catch-up reached the head: one checkpoint at the furthest event or checkpoint sent (the last
   * scanned record if there is neither), then counting restarts for the live phase.
   */
  endOfCatchUp(): bigint | undefined {
    this.considered = 0;
    const furthestSent = max(this.lastDelivered, this.lastCheckpoint) ?? this.lastScanned;
    return furthestSent === undefined ? undefined : this.accept(furthestSent);
  }

  private accept(position: bigint): bigint | undefined {
    const floor = max(this.lastDelivered, this.lastCheckpoint);
    if (this.lastCheckpoint !== undefined && position <= this.lastCheckpoint) return undefined;
    if (floor !== undefined && position < floor) return undefined;
    this.lastCheckpoint = position;
    return position;
  }
}

function max(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}
