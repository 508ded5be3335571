import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, type Backoff } from './backoff';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly backoff: Backoff;
}

export interface RetryOptions {
  /** Whether this failure may be retried; a refused one is thrown at once. */
  readonly shouldRetry: (error: unknown, attempt: number) => boolean;
  /** Called before each wait, e.g. to log it. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Stops the waiting: retry then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Injected by tests; default Math.random. */
  readonly random?: () => number;
}

/**
 * Runs `work` until it succeeds, a failure is not retryable, or `policy.maxAttempts` attempts have
 * failed; waits the policy's backoff between attempts. `work` receives the attempt number (1-based).
 * When every attempt failed, the last error is thrown as it was.
 */
export async function retry<T>(work: (attempt: number) => Promise<T>, policy: RetryPolicy, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= policy.maxAttempts || !options.shouldRetry(error, attempt)) throw error;
      const delayMs = backoffDelay(policy.backoff, attempt, options.random);
      options.onRetry?.(error, attempt, delayMs);
      await wait(delayMs, options.signal);
    }
  }
}

async function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return sleep(ms);
  signal.throwIfAborted();
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  }
}
