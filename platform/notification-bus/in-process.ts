/**
 * The notification bus inside one process (port.ts), for `npm start` without a NATS server: the
 * notifier and the query API run in the same process there, so a function call carries a
 * notification as far as NATS would.
 *
 * What it keeps of the NATS semantics: subjects and prefixes, publish order, and "published"
 * meaning the receivers have it (here: `publish` returns after every subscriber was called). What
 * it does not need: a duplicate window (a publish cannot lose its answer; a crash between
 * publishing and marking the row sent takes every receiver down with it, and the sockets' clients
 * catch up on reconnect), gaps (no connection to lose), a stream for later readers.
 */
import type { ReadinessCheck } from '../http/readiness';
import type { Logger } from '../logger';
import type { NotificationSink, NotificationSource, NotificationSubscription, PublishingSession } from './port';

interface Subscriber {
  prefix: string;
  onMessage(subject: string, payload: string): void;
}

export class InProcessNotificationBus implements NotificationSink, NotificationSource {
  private readonly subscribers = new Set<Subscriber>();

  constructor(private readonly options: { logger?: Logger } = {}) {}

  async open(): Promise<PublishingSession> {
    return {
      publish: async (subject, payload) => this.deliver(subject, payload),
      isClosed: false,
      ping: async () => undefined,
      close: async () => undefined,
    };
  }

  subscribe(prefix: string, onMessage: (subject: string, payload: string) => void): NotificationSubscription {
    const subscriber = { prefix: `${prefix}.`, onMessage };
    this.subscribers.add(subscriber);
    return { unsubscribe: () => void this.subscribers.delete(subscriber) };
  }

  onGap(): () => void {
    return () => undefined;
  }

  readinessCheck(): ReadinessCheck {
    return { name: 'notification-bus', async check() {} };
  }

  private deliver(subject: string, payload: string): void {
    for (const subscriber of [...this.subscribers]) {
      if (!subject.startsWith(subscriber.prefix)) continue;
      try {
        subscriber.onMessage(subject, payload);
      } catch (error) {
        // One receiver's bug must not fail the publish for the others (NATS would not either).
        this.options.logger?.error({ err: error, subject }, 'a notification subscriber threw');
      }
    }
  }
}
