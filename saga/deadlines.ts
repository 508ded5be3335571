/**
 * Durable deadlines. A deadline is scheduled by a saga event in the checkout's stream, with its due
 * time (the checkout deadline by CheckoutStarted's `checkoutDeadline`, the payment deadline by
 * PaymentAuthorizationStarted's `paymentDeadline`); every saga process follows those events from the start of the log (a
 * catch-up subscription filtered by event type) and keeps a timer for each pending one, so
 * deadlines are re-armed whenever a process starts. When a timer goes off, the process asks the
 * checkout decider whether the deadline still matters and appends DeadlineFired with the
 * stream's expected revision: when several processes try, exactly one append wins.
 *
 * The same events give the count of checkouts by state for `/metrics`.
 */
import { START, eventTypeFilter, type EventStoreDBClient } from '@eventstore/db-client';
import type { DeadlineName } from '../domain/checkout';
import type { Logger } from '../platform/logger';

export const deadlineEventTypes = [
  'CheckoutStarted',
  'CheckoutCompensationStarted',
  'PaymentAuthorizationStarted',
  'DeadlineFired',
  'CheckoutCompleted',
  'CheckoutCompensated',
] as const;

export interface DeadlineWatcherOptions {
  client: EventStoreDBClient;
  logger: Logger;
  fire(orderId: string, deadline: DeadlineName): Promise<unknown>;
}

export class DeadlineWatcher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly active = new Map<string, 'running' | 'compensating'>();
  private completed = 0;
  private compensated = 0;
  private caughtUp = false;
  private stopped = false;
  private subscription: ReturnType<EventStoreDBClient['subscribeToAll']> | undefined;

  constructor(private readonly options: DeadlineWatcherOptions) {}

  /** Resolves once the history has been read (every pending deadline armed). */
  start(): Promise<void> {
    return this.follow();
  }

  /** Reads the deadline events from the start of the log, then live; after a drop, starts over. */
  private follow(): Promise<void> {
    this.active.clear();
    this.completed = 0;
    this.compensated = 0;
    return new Promise((resolve, reject) => {
      let settled = false;
      const subscription = this.options.client.subscribeToAll({
        fromPosition: START,
        filter: eventTypeFilter({ regex: `^(${deadlineEventTypes.join('|')})$` }),
      });
      this.subscription = subscription;
      subscription.on('caughtUp', () => {
        this.caughtUp = true;
        settled = true;
        resolve();
      });
      subscription.on('data', ({ event }) => {
        if (!event) return;
        const orderId = (event.data as { orderId?: string }).orderId;
        if (typeof orderId !== 'string') return;
        const data = event.data as { deadline?: DeadlineName; checkoutDeadline?: string; paymentDeadline?: string };
        switch (event.type) {
          case 'CheckoutStarted':
            this.active.set(orderId, 'running');
            if (data.checkoutDeadline) this.arm(orderId, 'checkout', data.checkoutDeadline);
            break;
          case 'CheckoutCompensationStarted':
            this.active.set(orderId, 'compensating');
            break;
          case 'PaymentAuthorizationStarted':
            if (data.paymentDeadline) this.arm(orderId, 'payment', data.paymentDeadline);
            break;
          case 'DeadlineFired':
            if (data.deadline) this.disarm(orderId, data.deadline);
            break;
          case 'CheckoutCompleted':
          case 'CheckoutCompensated':
            if (this.active.delete(orderId)) {
              if (event.type === 'CheckoutCompleted') this.completed++;
              else this.compensated++;
            }
            this.disarm(orderId, 'payment');
            this.disarm(orderId, 'checkout');
            break;
        }
      });
      subscription.on('error', (error) => {
        if (this.stopped) return;
        this.options.logger.error({ err: error }, 'deadline subscription failed');
        if (!settled) {
          settled = true;
          reject(error);
          return;
        }
        // Start over (timers are re-armed by key, so none is doubled); meanwhile armed timers keep running.
        setTimeout(() => {
          if (!this.stopped)
            this.follow().catch((again: unknown) => this.options.logger.error({ err: again }, 'deadline subscription failed again'));
        }, 1000).unref();
      });
    });
  }

  get ready(): boolean {
    return this.caughtUp;
  }

  get pendingDeadlines(): number {
    return this.timers.size;
  }

  checkoutsByState(): Record<string, number> {
    let running = 0;
    let compensating = 0;
    for (const state of this.active.values()) {
      if (state === 'running') running++;
      else compensating++;
    }
    return { running, compensating, completed: this.completed, compensated: this.compensated };
  }

  private arm(orderId: string, deadline: DeadlineName, dueAt: string): void {
    const key = `${orderId}|${deadline}`;
    clearTimeout(this.timers.get(key));
    const delay = Math.max(0, Date.parse(dueAt) - Date.now());
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        this.options.fire(orderId, deadline).catch((error: unknown) => {
          // Not lost: the event store was unreachable; try again shortly.
          this.options.logger.warn({ err: error, orderId, deadline }, 'could not fire a deadline; retrying');
          if (!this.stopped) this.arm(orderId, deadline, new Date(Date.now() + 1000).toISOString());
        });
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    this.timers.set(key, timer);
  }

  private disarm(orderId: string, deadline: DeadlineName): void {
    const key = `${orderId}|${deadline}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.subscription?.unsubscribe().catch(() => {});
  }
}
