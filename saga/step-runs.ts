/**
 * The checkout step under way, per order: a fired deadline or the customer's cancellation abandons
 * it (its signal aborts the payment call under way). A step that fails is tried again after a
 * backoff, while its checkout has not moved on meanwhile; a business answer is not a failure but
 * the step's outcome.
 */
import { isDomainError } from '../domain';
import type { Logger } from '../platform/logger';
import { retry } from '../platform/retry';
import type { SagaMetrics } from './metrics';
import { TransientPaymentError } from './payment/port';

export interface StepRunsOptions {
  metrics: SagaMetrics;
  /** Attempts of a failing step within one delivery, with backoff, before handing the event back. */
  stepAttempts: number;
  retryBackoff: { initialMs: number; maxMs: number };
}

/** One run of a checkout step: the order and step it is for, the log of what caused it, and how to tell that its checkout moved on meanwhile. */
export interface StepRun {
  orderId: string;
  step: string;
  log: Logger;
  movedOn: () => Promise<boolean>;
}

export class StepRuns {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly options: StepRunsOptions) {}

  /** Abandons the order's step under way, if there is one. */
  abort(orderId: string, reason: string): void {
    this.running.get(orderId)?.abort(new Error(reason));
  }

  /**
   * Runs a step. After a failure, `movedOn()` says whether the checkout moved on meanwhile (a
   * fired deadline, a cancellation): then the step is given up quietly (`'stale'`); otherwise it
   * is tried again, `stepAttempts` times in all, and the last failure is thrown.
   */
  run<T>({ orderId, step, log, movedOn }: StepRun, work: (signal: AbortSignal) => Promise<T>): Promise<T | 'stale'> {
    const { metrics, stepAttempts, retryBackoff } = this.options;
    const attempt = async (): Promise<T | 'stale'> => {
      const controller = new AbortController();
      this.running.set(orderId, controller);
      const started = performance.now();
      const observe = (outcome: 'ok' | 'error') => metrics.stepDuration.observe({ step, outcome }, (performance.now() - started) / 1000);
      try {
        const result = await work(controller.signal);
        observe('ok');
        return result;
      } catch (error) {
        observe('error');
        if (isDomainError(error) || !(await movedOn())) throw error;
        log.info({ step, err: error }, 'step abandoned: the checkout moved on meanwhile');
        return 'stale';
      } finally {
        if (this.running.get(orderId) === controller) this.running.delete(orderId);
      }
    };
    return retry(
      attempt,
      { maxAttempts: stepAttempts, backoff: { ...retryBackoff, jitter: 'none' } },
      {
        shouldRetry: (error) => !isDomainError(error),
        onRetry: (error, failures, delayMs) =>
          log.warn(
            { step, attempt: failures, delayMs, err: error, transient: error instanceof TransientPaymentError },
            'step failed; retrying',
          ),
      },
    );
  }
}
