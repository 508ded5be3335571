/**
 * Runs one task per key at a time, tasks of different keys in parallel. Optimistic concurrency
 * stays what keeps a stream consistent (other processes write too), but letting this process's
 * own commands on one hot stream race each other only turns into conflicts, re-reads and backoff.
 * A key is forgotten once nothing is queued on it, so the map holds only busy keys.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a task queued or running. */
  get size(): number {
    return this.tails.size;
  }
}
