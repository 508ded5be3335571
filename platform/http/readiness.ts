/**
 * Readiness: can this instance do useful work right now (its dependencies answer)? A load
 * balancer stops sending traffic while it is not. Liveness (`/health`) is separate on purpose:
 * a database outage should take an instance out of rotation, not get it restarted.
 */

export interface ReadinessCheck {
  /** Names the dependency in the 503 answer, e.g. `eventstore`, `postgres`, `nats`. */
  readonly name: string;
  /** Resolves when the dependency answers; throws (or rejects) when it does not. */
  check(signal: AbortSignal): Promise<void>;
  /** Default 2000 ms: a hung dependency must not hang the probe. */
  readonly timeoutMs?: number;
}

export interface ReadinessResult {
  name: string;
  ready: boolean;
  /** Why not, for the log (not sent to the client: it may carry hosts or credentials). */
  error?: unknown;
}

export async function runReadinessChecks(checks: readonly ReadinessCheck[]): Promise<ReadinessResult[]> {
  return Promise.all(
    checks.map(async ({ name, check, timeoutMs = 2000 }) => {
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      try {
        await Promise.race([check(controller.signal), timeout]);
        return { name, ready: true };
      } catch (error) {
        return { name, ready: false, error };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}
