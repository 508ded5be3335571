/**
 * Metrics of the command API's writes: how long an append takes and how often one loses an
 * optimistic-concurrency race. Measured at the client (every append the service makes passes
 * through `appendToStream`), so the use cases need no timing code of their own.
 *
 * - `eventstore_append_duration_seconds{category, outcome}`: outcome `ok`, `conflict` or `error`;
 * - `eventstore_append_conflicts_total{category}`: wrong-expected-version answers, each retry's
 *   included (a command that gave up shows as an HTTP 409).
 *
 * `category` is the stream's category (`inventory`, `order`, `idempotency`), never its name: one
 * series per SKU or order would grow without bound.
 */
import { WrongExpectedVersionError, type EventStoreDBClient } from '@eventstore/db-client';
import { Counter, Histogram, type Registry } from 'prom-client';

export function streamCategory(streamName: string): string {
  const dash = streamName.indexOf('-');
  return dash > 0 ? streamName.slice(0, dash) : streamName;
}

/** The same client, with its appends measured into `registry`. */
export function instrumentEventStoreClient(client: EventStoreDBClient, registry: Registry): EventStoreDBClient {
  const duration = new Histogram({
    name: 'eventstore_append_duration_seconds',
    help: 'Time for an append to the event store to be acknowledged, by stream category and outcome',
    labelNames: ['category', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const conflicts = new Counter({
    name: 'eventstore_append_conflicts_total',
    help: 'Appends refused because the stream had moved past the expected revision, by stream category',
    labelNames: ['category'] as const,
    registers: [registry],
  });

  const appendToStream: EventStoreDBClient['appendToStream'] = async (...args) => {
    const category = streamCategory(args[0]);
    const stop = duration.startTimer({ category });
    try {
      const result = await client.appendToStream(...args);
      stop({ outcome: 'ok' });
      return result;
    } catch (error) {
      const conflict = error instanceof WrongExpectedVersionError;
      stop({ outcome: conflict ? 'conflict' : 'error' });
      if (conflict) conflicts.inc({ category });
      throw error;
    }
  };

  return new Proxy(client, {
    get(target, property) {
      if (property === 'appendToStream') return appendToStream;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
