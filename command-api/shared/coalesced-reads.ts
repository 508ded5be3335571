/**
 * Concurrent readers of one stream share a read, without ever being answered by a read that
 * started before they asked. While a read of a stream is running, every new request for it waits
 * for the *next* read, which starts when the running one ends and answers all of them. So each
 * caller sees the stream as it was at some moment after its call (as fresh as reading alone),
 * and a hot stream costs at most two reads in flight instead of one per request.
 *
 * Placing an order reads the inventory stream of every line: during a sale, most concurrent
 * orders name the same few SKUs, and reads cost the event store more than appends do.
 */
export class CoalescedReads<T> {
  private readonly streams = new Map<string, { running: Promise<T> | undefined; queued: Promise<T> | undefined }>();

  constructor(private readonly load: (stream: string) => Promise<T>) {}

  read(stream: string): Promise<T> {
    let entry = this.streams.get(stream);
    if (!entry) {
      entry = { running: undefined, queued: undefined };
      this.streams.set(stream, entry);
    }
    const { running } = entry;
    if (!running) return this.start(stream, entry);
    const current = entry;
    current.queued ??= running.then(ignore, ignore).then(() => {
      current.queued = undefined;
      return this.start(stream, current);
    });
    return current.queued;
  }

  private start(stream: string, entry: { running: Promise<T> | undefined; queued: Promise<T> | undefined }): Promise<T> {
    const running: Promise<T> = this.load(stream).finally(() => {
      if (entry.running === running) entry.running = undefined;
      if (!entry.running && !entry.queued && this.streams.get(stream) === entry) this.streams.delete(stream);
    });
    entry.running = running;
    return running;
  }

  /** Streams with a read running or queued (for tests). */
  get busy(): number {
    return this.streams.size;
  }
}

function ignore(): void {}
