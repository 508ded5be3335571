/**
 * Exponential backoff: the ceiling doubles with each failure, from `initialMs` up to `maxMs`.
 * With full jitter (the default) the wait is a random point below the ceiling, so that writers
 * who lost the same race do not all come back at the same moment and collide again; without,
 * the wait is the ceiling itself (a redelivery schedule, a compensation that keeps failing).
 */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Default `'full'`. */
  readonly jitter?: 'full' | 'none';
}

/** The wait after the `failures`-th failure in a row (1 for the first). */
export function backoffDelay(backoff: Backoff, failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, failures - 1));
  return backoff.jitter === 'none' ? ceiling : Math.round(random() * ceiling);
}
