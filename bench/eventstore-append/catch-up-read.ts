import { jsonEvent, START, type EventStoreDBClient } from '@eventstore/db-client';

/** Appends until `$all` holds at least `total` events, in big batches from a few writers: seeding, not measuring. */
export async function seedEvents(client: EventStoreDBClient, total: number): Promise<number> {
  const batchSize = 1000;
  const writers = 4;
  const data = { cartId: 'cart-seed', sku: 'SKU-1', quantity: 1, unitPriceCents: 1299, addedAt: '2024-01-01T00:00:00.000Z' };
  let remaining = total;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      while (remaining > 0) {
        const count = Math.min(batchSize, remaining);
        remaining -= count;
        await client.appendToStream(
          `seed-${writer}`,
          Array.from({ length: count }, () => jsonEvent({ type: 'ItemAddedToCart', data })),
        );
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

export interface ReadRate {
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

/** `client.readAll()` from the start to the end: what a projector rebuilding from scratch sees. */
export async function measureReadAll(client: EventStoreDBClient): Promise<ReadRate> {
  const started = performance.now();
  let events = 0;
  for await (const resolved of client.readAll({ fromPosition: START })) if (resolved.event) events++;
  return rate(events, started);
}

/** A catch-up subscription to `$all` from the start, until it reports caught up. */
export async function measureCatchUpSubscription(client: EventStoreDBClient): Promise<ReadRate> {
  const started = performance.now();
  let events = 0;
  const subscription = client.subscribeToAll({ fromPosition: START });
  await new Promise<void>((resolve, reject) => {
    subscription.on('data', () => events++);
    subscription.on('caughtUp', () => resolve());
    subscription.on('error', reject);
  });
  const result = rate(events, started);
  await subscription.unsubscribe();
  return result;
}

function rate(events: number, started: number): ReadRate {
  const seconds = (performance.now() - started) / 1000;
  return { events, seconds, eventsPerSecond: events / seconds };
}
