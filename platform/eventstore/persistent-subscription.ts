/**
 * Competing consumers on a persistent subscription to `$all` (EventStoreDB keeps the position and
 * the in-flight messages; several processes share the work). Filtered on `$all` by event type,
 * because `$ce-` category streams need the projections subsystem that is often off (and the
 * emulator does not have).
 *
 * The error policy, in one place:
 * - the handler resolves → ack (only then: the handler must have recorded its effects durably);
 * - the handler throws → wait a backoff that grows with the message's retry count, then nack
 *   `retry` (the server redelivers, maybe to another process);
 * - still failing after `maxRetryCount` deliveries → nack `park` with the error as the reason:
 *   it is logged, counted (`onParked`), and can be replayed (`replayParked`).
 * Several messages are handled at once (up to `bufferSize`); ordering per key is the handler's
 * business (the saga serializes per order).
 */
import {
  PersistentSubscriptionExistsError,
  START,
  persistentSubscriptionToAllSettingsFromDefaults,
  eventTypeFilter,
  type EventStoreDBClient,
  type PersistentSubscriptionToAll,
  type PersistentSubscriptionToAllSettings,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger';
import { backoffDelay } from '../retry';

export interface PersistentGroupOptions {
  group: string;
  /** The exact event types of `$all` the group delivers. */
  eventTypes: readonly string[];
  settings?: Partial<PersistentSubscriptionToAllSettings>;
}

/** Creates the group if it does not exist yet (every process calls it at start; the first one wins). */
export async function ensurePersistentSubscriptionToAll(
  client: EventStoreDBClient,
  { group, eventTypes, settings }: PersistentGroupOptions,
): Promise<void> {
  try {
    await client.createPersistentSubscriptionToAll(
      group,
      persistentSubscriptionToAllSettingsFromDefaults({ startFrom: START, ...settings }),
      {
        // Anchored at both ends: a prefix filter would also take any type that merely starts with one of these names.
        filter: eventTypeFilter({ regex: `^(${eventTypes.join('|')})$` }),
      },
    );
  } catch (error) {
    if (!(error instanceof PersistentSubscriptionExistsError)) throw error;
  }
}

export interface ConsumerOptions {
  group: string;
  /** Unacknowledged messages this process holds at once. */
  bufferSize: number;
  /** Deliveries after which a failing message is parked (keep it ≤ the group's maxRetryCount). */
  maxRetryCount: number;
  /** Backoff before a nack, growing with the message's retry count (no jitter: a redelivery schedule). */
  retryBackoff: { initialMs: number; maxMs: number };
  handle(event: ResolvedEvent): Promise<void>;
  logger: Logger;
  onParked?(event: ResolvedEvent, reason: string): void;
  onRetry?(event: ResolvedEvent, reason: string): void;
}

export interface RunningConsumer {
  /** True while connected to the group. */
  readonly connected: boolean;
  /** Stops taking messages; waits (at most `graceMs`) for those being handled. What is not acked is redelivered. */
  stop(graceMs?: number): Promise<void>;
}

export function consumePersistentSubscriptionToAll(client: EventStoreDBClient, options: ConsumerOptions): RunningConsumer {
  const { logger } = options;
  let stopped = false;
  let connected = false;
  let subscription: PersistentSubscriptionToAll | undefined;
  const inFlight = new Set<Promise<void>>();

  // Acks are sent in batches (one message with many ids), flushed on the next turn of the event loop:
  // at hundreds of messages a second, one ack message per event is a large share of the work.
  let pendingAcks: ResolvedEvent[] = [];
  let ackSub: PersistentSubscriptionToAll | undefined;
  function ack(sub: PersistentSubscriptionToAll, resolved: ResolvedEvent): void {
    if (ackSub !== sub) flushAcks();
    ackSub = sub;
    pendingAcks.push(resolved);
    if (pendingAcks.length === 1) setImmediate(flushAcks);
    else if (pendingAcks.length >= 100) flushAcks();
  }
  function flushAcks(): void {
    if (!ackSub || pendingAcks.length === 0) return;
    const batch = pendingAcks;
    pendingAcks = [];
    ackSub
      .ack(...batch)
      .catch((error: unknown) => logger.warn({ err: error, count: batch.length }, 'could not ack; the messages will be redelivered'));
  }

  async function settle(sub: PersistentSubscriptionToAll, resolved: ResolvedEvent & { retryCount?: number }): Promise<void> {
    const retryCount = resolved.retryCount ?? 0;
    try {
      await options.handle(resolved);
      ack(sub, resolved);
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const event = resolved.event;
      const where = { stream: event?.streamId, revision: event?.revision?.toString(), type: event?.type, eventId: event?.id, retryCount };
      if (stopped) return; // the server requeues what this connection held
      if (retryCount + 1 >= options.maxRetryCount) {
        logger.error({ ...where, err: error, reason }, 'parking event: it still fails after the retry limit');
        options.onParked?.(resolved, reason);
        await sub.nack('park', reason.slice(0, 500), resolved).catch(() => {});
        return;
      }
      const delay = backoffDelay({ ...options.retryBackoff, jitter: 'none' }, retryCount + 1);
      logger.warn({ ...where, err: error, delayMs: delay }, 'event handling failed; retrying');
      options.onRetry?.(resolved, reason);
      await sleep(delay);
      if (stopped) return;
      await sub.nack('retry', reason.slice(0, 500), resolved).catch(() => {});
    }
  }

  async function run(): Promise<void> {
    while (!stopped) {
      const sub = client.subscribeToPersistentSubscriptionToAll(options.group, { bufferSize: options.bufferSize });
      subscription = sub;
      await new Promise<void>((resolve) => {
        sub.on('confirmation', () => {
          connected = true;
          logger.info({ group: options.group }, 'persistent subscription connected');
        });
        sub.on('data', (resolved: ResolvedEvent) => {
          connected = true;
          const work = settle(sub, resolved).catch((error: unknown) => logger.error({ err: error }, 'could not settle a message'));
          inFlight.add(work);
          void work.finally(() => inFlight.delete(work));
        });
        sub.on('error', (error: unknown) => {
          if (!stopped) logger.warn({ err: error, group: options.group }, 'persistent subscription dropped; reconnecting');
          resolve();
        });
        sub.on('close', () => resolve());
        sub.on('end', () => resolve());
      });
      connected = false;
      if (!stopped) await sleep(500);
    }
  }

  const running = run();
  return {
    get connected() {
      return connected;
    },
    async stop(graceMs = 3000) {
      stopped = true;
      flushAcks();
      const grace = sleep(graceMs, undefined, { ref: false });
      await Promise.race([subscription?.unsubscribe().catch(() => {}), grace]);
      await Promise.race([Promise.allSettled([...inFlight]), grace]);
      flushAcks();
      if (inFlight.size > 0)
        logger.warn({ inFlight: inFlight.size }, 'stopped with messages still being handled; they will be redelivered');
      await Promise.race([running.catch(() => {}), grace]);
    },
  };
}

/** Moves the group's parked messages back to be delivered again. */
export async function replayParked(client: EventStoreDBClient, group: string): Promise<void> {
  await client.replayParkedMessagesToAll(group);
}
