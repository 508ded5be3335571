/**
 * An in-order queue that one reader takes from with a timeout: what a feed hands its batcher.
 * A failure is thrown to the reader once the items queued before it are taken.
 */
export class ItemQueue<Item> {
  /** Taken items before `head` are cleared to undefined, so they can be collected. */
  private items: (Item | undefined)[] = [];
  private head = 0;
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;

  get waiting(): number {
    return this.items.length - this.head;
  }

  push(item: Item): void {
    this.items.push(item);
    this.wake();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  /** Drops what is queued (its reader is gone). */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.wake();
  }

  /** Lets a waiting `next` return (undefined when nothing came). */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** The next item, or undefined when none arrives within `timeoutMs` (forever when undefined) or on `wake`. */
  async next(timeoutMs?: number): Promise<Item | undefined> {
    if (this.head === this.items.length) {
      if (this.failure) throw this.failure;
      if (timeoutMs === 0) return undefined;
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => {
            this.waiter = undefined;
            resolve();
          }, timeoutMs);
        }
      });
      if (this.head === this.items.length) {
        if (this.failure) throw this.failure;
        return undefined;
      }
    }
    const item = this.items[this.head]!;
    // A taken item is released at once; the array's front is dropped now and then, not on every take.
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }
}
