/** Helpers shared by the persistent-subscription integration tests. */
import type {
  PersistentSubscriptionToAll,
  PersistentSubscriptionToStream,
  PersistentSubscriptionToStreamResolvedEvent,
} from '@eventstore/db-client';

export type AnyPersistentSubscription = PersistentSubscriptionToStream | PersistentSubscriptionToAll;

/** What both kinds of persistent subscription deliver (the `$all` record type is a subset). */
export type Delivered = PersistentSubscriptionToStreamResolvedEvent;

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
