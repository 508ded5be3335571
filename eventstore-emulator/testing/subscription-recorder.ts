/** A client subscription's emissions, recorded in order, for tests to wait on and inspect. */
import type { ResolvedEvent } from '@eventstore/db-client';

/** What a subscription emitted, in order: its control signals, events and error. */
export type SubscriptionEntry =
  { kind: 'confirmation' } | { kind: 'caughtUp' } | { kind: 'event'; resolved: ResolvedEvent } | { kind: 'error'; error: Error };

interface SubscriptionLike {
  on(event: 'data', listener: (resolved: ResolvedEvent) => void): unknown;
  on(event: 'confirmation' | 'caughtUp', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Records a client subscription's emissions in order and lets a test wait for a condition on
 * them, failing with the timeline so far if it does not come in time.
 */
export class SubscriptionRecorder {
  readonly entries: SubscriptionEntry[] = [];
  /** Kept as they come, so waiting on a 15 000-event subscription stays linear. */
  readonly events: ResolvedEvent[] = [];
  private readonly counts = { confirmation: 0, caughtUp: 0, event: 0, error: 0 };
  private readonly waiters = new Set<() => void>();

  constructor(subscription: SubscriptionLike) {
    subscription.on('confirmation', () => this.push({ kind: 'confirmation' }));
    subscription.on('caughtUp', () => this.push({ kind: 'caughtUp' }));
    subscription.on('data', (resolved) => this.push({ kind: 'event', resolved }));
    subscription.on('error', (error) => this.push({ kind: 'error', error }));
  }

  get error(): Error | undefined {
    return this.entries.flatMap((entry) => (entry.kind === 'error' ? [entry.error] : []))[0];
  }

  count(kind: SubscriptionEntry['kind']): number {
    return this.counts[kind];
  }

  /** The timeline as short labels: `confirmation`, `caughtUp`, `{type}@{revision}`, `error:{class}`. */
  labels(): string[] {
    return this.entries.map((entry) => {
      if (entry.kind === 'event')
        return `${entry.resolved.event?.type ?? entry.resolved.link?.type}@${entry.resolved.event?.revision ?? entry.resolved.link?.revision}`;
      if (entry.kind === 'error') return `error:${entry.error.constructor.name}`;
      return entry.kind;
    });
  }

  until(condition: (recorder: this) => boolean, timeoutMs = 10_000): Promise<void> {
    if (condition(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const labels = this.labels();
        reject(new Error(`timed out; ${labels.length} entries, last: ${labels.slice(-8).join(', ')}`));
      }, timeoutMs);
      const check = () => {
        if (!condition(this)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  private push(entry: SubscriptionEntry): void {
    this.entries.push(entry);
    this.counts[entry.kind]++;
    if (entry.kind === 'event') this.events.push(entry.resolved);
    for (const check of [...this.waiters]) check();
  }
}
