import { randomUUID } from 'node:crypto';
import {
  jsonEvent,
  type PersistentSubscriptionToAll,
  type PersistentSubscriptionToStream,
  type PersistentSubscriptionToStreamResolvedEvent,
} from '@eventstore/db-client';

/** Helpers shared by the persistent-subscription integration tests. */

export type AnyPersistentSubscription = PersistentSubscriptionToStream | PersistentSubscriptionToAll;

/** What both kinds of persistent subscription deliver (the `$all` record type is a subset). */
export type Delivered = PersistentSubscriptionToStreamResolvedEvent;

export function unique(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export function numbered(count: number, type = 'Numbered', offset = 0) {
  return Array.from({ length: count }, (_, i) => jsonEvent({ type, data: { n: offset + i } }));
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/**
 * Reads a subscription until `onEvent` returns `'stop'`, then unsubscribes. Fails if that does
 * not happen within `timeoutMs`, and rethrows whatever error ended the subscription.
 */
export async function consume(
  subscription: AnyPersistentSubscription,
  onEvent: (event: Delivered) => Promise<'stop' | void> | 'stop' | void,
  timeoutMs = 10_000,
): Promise<void> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void subscription.unsubscribe();
  }, timeoutMs);
  try {
    for await (const event of subscription as AsyncIterable<Delivered>) {
      if ((await onEvent(event)) === 'stop') break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) throw new Error(`subscription did not finish within ${timeoutMs} ms`);
  await subscription.unsubscribe();
}

/** Resolves with the error that ends the subscription (fails if it ends without one). */
export function errorOf(subscription: AnyPersistentSubscription, timeoutMs = 5000): Promise<Error> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no error within timeout')), timeoutMs);
    subscription.once('error', (error: Error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

/** Resolves when the server has confirmed the subscription. */
export function confirmed(subscription: AnyPersistentSubscription, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no confirmation within timeout')), timeoutMs);
    subscription.once('confirmation', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
