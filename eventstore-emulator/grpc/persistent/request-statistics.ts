/**
 * Per-connection processing times for `extra_statistics` (the server's `RequestStatistics`): the
 * time from push to ack/nack of the last 1000 messages, in milliseconds.
 */
const WINDOW = 1000;

export interface Measurement {
  readonly key: string;
  readonly value: number;
}

export class RequestStatistics {
  private readonly started = new Map<string, number>();
  private readonly durations: number[] = [];

  constructor(private readonly now: () => number) {}

  start(id: string): void {
    this.started.set(id, this.now());
  }

  end(id: string): void {
    const start = this.started.get(id);
    if (start === undefined) return;
    this.started.delete(id);
    if (this.durations.length >= WINDOW) this.durations.shift();
    this.durations.push(Math.floor(this.now() - start));
  }

  measurements(): Measurement[] {
    if (this.durations.length === 0) return [];
    const sorted = [...this.durations].sort((a, b) => a - b);
    const at = (percentile: number) => {
      const index = Math.floor((percentile / 100) * sorted.length);
      return sorted[index === sorted.length ? index - 1 : index]!;
    };
    const result: Measurement[] = [
      { key: 'Mean', value: Math.floor(sorted.reduce((sum, each) => sum + each, 0) / sorted.length) },
      { key: 'Median', value: sorted[Math.floor(sorted.length / 2)]! },
      { key: 'Fastest', value: sorted[0]! },
    ];
    for (let i = 0; i < 5; i++) result.push({ key: `Quintile ${i + 1}`, value: at(i * 20) });
    for (const percentile of [90, 95, 99, 99.5, 99.9]) result.push({ key: `${percentile}%`, value: at(percentile) });
    result.push({ key: 'Highest', value: sorted.at(-1)! });
    return result;
  }
}
