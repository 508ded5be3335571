/**
 * How a command handler answers a version conflict, by name, each mapped to its retry policy here
 * and only here. Retrying means deciding again on the stream as it is now, so a name is chosen
 * where that decision may be taken again (decide is pure and re-checks every rule); backoff has
 * full jitter, so writers who lost the same race do not come back together.
 */
import type { RetryPolicy } from '../retry';

export const conflictRetryPolicies = {
  /**
   * A stream other processes write now and then (a product under a burst of commands, an order the
   * saga and the customer both write). Measured on the emulator, 20 concurrent commands on one
   * stream needed at most 7 attempts; 12 leaves room for a slower machine. The ceilings add up to
   * about 6 s, the expected wait to half that, before a command gives up.
   */
  conflicts: { maxAttempts: 12, backoff: { initialMs: 20, maxMs: 1000 } },
  /** A hot stream many processes write at once (saga processes reserving one popular SKU): plenty of attempts, short waits. */
  contended: { maxAttempts: 50, backoff: { initialMs: 2, maxMs: 100 } },
  /**
   * A stream one process drives and another touches rarely (a checkout: a fired deadline, a
   * cancellation, a redelivery racing): the loser usually finds nothing left to do, and is waited
   * for, so it comes back at once, 20 times at the most, waiting under a second in all.
   */
  prompt: { maxAttempts: 20, backoff: { initialMs: 5, maxMs: 50 } },
  /** A conflict is the answer (a new stream whose name someone else took; a revision the caller stated). */
  never: { maxAttempts: 1, backoff: { initialMs: 0, maxMs: 0 } },
} as const satisfies Record<string, RetryPolicy>;

/** A policy by name, or a policy of its own (tests: few attempts, short waits). */
export type ConflictRetry = keyof typeof conflictRetryPolicies | RetryPolicy;

export function conflictRetryPolicy(retry: ConflictRetry): RetryPolicy {
  return typeof retry === 'string' ? conflictRetryPolicies[retry] : retry;
}
