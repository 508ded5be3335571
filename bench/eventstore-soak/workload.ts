import { setTimeout as sleep } from 'node:timers/promises';
import {
  BACKWARDS,
  END,
  FORWARDS,
  jsonEvent,
  persistentSubscriptionToStreamSettingsFromDefaults,
  START,
  StreamNotFoundError,
  streamNameFilter,
  type EventStoreDBClient,
} from '@eventstore/db-client';

/**
 * The soak's mixed traffic, each kind in its own loop until `running()` turns false. Rates are
 * held down on purpose: the soak looks for leaks over time, not throughput, and an unthrottled
 * writer would grow the log by gigabytes in ten minutes.
 */

export interface Counters {
  appends: number;
  reads: number;
  catchUpSubscriptions: number;
  persistentSubscriptions: number;
  errors: number;
  /** Why persistent subscriptions were left out, if they were. */
  persistentSkipped?: string;
}

const STREAMS = 500;
const pick = (n: number) => Math.floor(Math.random() * n);
const streamName = (n: number) => `soak-cart-${n}`;

export function startWorkload(client: EventStoreDBClient, running: () => boolean): { counters: Counters; done: Promise<void> } {
  const counters: Counters = { appends: 0, reads: 0, catchUpSubscriptions: 0, persistentSubscriptions: 0, errors: 0 };
  const loop = async (pauseMs: number, step: () => Promise<void>) => {
    while (running()) {
      try {
        await step();
      } catch (error) {
        counters.errors++;
        if (counters.errors <= 5) process.stderr.write(`soak: ${(error as Error).message}\n`);
      }
      await sleep(pauseMs);
    }
  };

  const appender = () =>
    loop(20, async () => {
      const events = Array.from({ length: 1 + pick(9) }, (_, i) =>
        jsonEvent({ type: 'ItemAddedToCart', data: { sku: `SKU-${pick(1000)}`, quantity: 1 + i, unitPriceCents: 1299 } }),
      );
      await client.appendToStream(streamName(pick(STREAMS)), events);
      counters.appends++;
    });

  const reader = () =>
    loop(20, async () => {
      try {
        if (Math.random() < 0.5) {
          for await (const _ of client.readStream(streamName(pick(STREAMS)), { direction: FORWARDS, fromRevision: START, maxCount: 50 }));
        } else {
          for await (const _ of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 200 }));
        }
      } catch (error) {
        if (!(error instanceof StreamNotFoundError)) throw error; // early on, most streams are not written yet
      }
      counters.reads++;
    });

  // Opened, read up to live, held briefly, closed: the churn that leaks listeners if anything does.
  const catchUpSubscriber = () =>
    loop(100, async () => {
      const subscription =
        Math.random() < 0.5
          ? client.subscribeToStream(streamName(pick(STREAMS)), { fromRevision: START })
          : client.subscribeToAll({ fromPosition: END, filter: streamNameFilter({ prefixes: ['soak-cart-1'] }) });
      subscription.on('data', () => {});
      await Promise.race([new Promise((resolve) => subscription.once('caughtUp', resolve)), sleep(2000)]);
      await sleep(500);
      await subscription.unsubscribe();
      counters.catchUpSubscriptions++;
    });

  const persistentSubscriber = async () => {
    const stream = streamName(0);
    const group = 'soak-group';
    try {
      await client.createPersistentSubscriptionToStream(stream, group, persistentSubscriptionToStreamSettingsFromDefaults());
    } catch (error) {
      counters.persistentSkipped = (error as Error).message;
      return;
    }
    await loop(200, async () => {
      const subscription = client.subscribeToPersistentSubscriptionToStream(stream, group);
      const closeAt = Date.now() + 1000;
      const timer = setTimeout(() => void subscription.unsubscribe(), 1000);
      try {
        for await (const event of subscription) {
          await subscription.ack(event);
          if (Date.now() > closeAt) break;
        }
      } finally {
        clearTimeout(timer);
        await subscription.unsubscribe();
      }
      counters.persistentSubscriptions++;
    });
  };

  const done = Promise.all([
    appender(),
    appender(),
    reader(),
    reader(),
    catchUpSubscriber(),
    catchUpSubscriber(),
    persistentSubscriber(),
  ]).then(() => {});
  return { counters, done };
}
