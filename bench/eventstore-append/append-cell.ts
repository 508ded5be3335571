import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';

export interface AppendCell {
  batchSize: number;
  writers: number;
  seconds: number;
}

export interface AppendCellResult extends AppendCell {
  appendsPerSecond: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** A payload the size of a typical domain event (~120 bytes of JSON). */
function sampleEvent(writer: number, sequence: number) {
  return jsonEvent({
    type: 'ItemAddedToCart',
    data: {
      cartId: `cart-${writer}`,
      sku: `SKU-${sequence % 1000}`,
      quantity: 1 + (sequence % 5),
      unitPriceCents: 1299,
      addedAt: '2024-01-01T00:00:00.000Z',
    },
  });
}

/**
 * `writers` loops, each appending `batchSize` events per call to its own stream until the time is
 * up: the throughput of independent aggregates writing concurrently through one client.
 */
export async function runAppendCell(client: EventStoreDBClient, cell: AppendCell, streamPrefix: string): Promise<AppendCellResult> {
  const latencies: number[] = [];
  let events = 0;
  const started = performance.now();
  const deadline = started + cell.seconds * 1000;
  await Promise.all(
    Array.from({ length: cell.writers }, async (_, writer) => {
      const stream = `${streamPrefix}-w${writer}`;
      for (let sequence = 0; performance.now() < deadline; sequence++) {
        const batch = Array.from({ length: cell.batchSize }, (_, i) => sampleEvent(writer, sequence * cell.batchSize + i));
        const sent = performance.now();
        await client.appendToStream(stream, batch);
        latencies.push(performance.now() - sent);
        events += cell.batchSize;
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return {
    ...cell,
    appendsPerSecond: latencies.length / elapsedSeconds,
    eventsPerSecond: events / elapsedSeconds,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
  };
}
