/**
 * The notification bus, as a port: the projectors' notifier publishes each notification on it
 * after commit, and every query API instance receives them all and pushes each to the sockets of
 * its user. Two implementations:
 * - NATS (nats.ts): JetStream on the publishing side (stored and acknowledged before the outbox
 *   row is marked sent, de-duplicated by message id), core NATS on the receiving side. What
 *   production runs, across processes and machines.
 * - in process (in-process.ts): for `npm start` without NATS, where the notifier and the query
 *   API share one process. A message is handed to the subscribers during `publish`, so "acked"
 *   means "delivered".
 *
 * Subjects are `<prefix>.customer.<id>` and `<prefix>.admin` (platform/nats/subjects.ts).
 */
import type { ReadinessCheck } from '../http/readiness';

/** The publishing side: what the notifier hands each outbox row to. */
export interface NotificationSink {
  /** Opens a session to publish on; rejects while the bus is unreachable (the caller retries). */
  open(): Promise<PublishingSession>;
}

export interface PublishingSession {
  /**
   * Resolves once the bus has the message (so the outbox row may be marked sent); rejects if it
   * cannot say so within `timeoutMs`. A repeat of `id` (a publish retried after a lost answer)
   * may be dropped by the bus; receivers de-duplicate by the payload's id anyway.
   */
  publish(subject: string, payload: string, options: { id: string; timeoutMs: number }): Promise<void>;
  /** True once the session cannot publish any more (open a new one). */
  readonly isClosed: boolean;
  /** Resolves when the bus answers a round trip now (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface NotificationSubscription {
  unsubscribe(): void;
}

/** The receiving side: what the query API's socket.io gateway listens to. */
export interface NotificationSource {
  /** Calls `onMessage` with every message whose subject is below `prefix` (`<prefix>.…`). */
  subscribe(prefix: string, onMessage: (subject: string, payload: string) => void): NotificationSubscription;
  /**
   * Calls `listener` whenever messages may have been missed (NATS keeps nothing for a subscriber
   * that was reconnecting); answers a function that stops calling it.
   */
  onGap(listener: () => void): () => void;
  readinessCheck(): ReadinessCheck;
}
