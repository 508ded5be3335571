/**
 * Driving a checkout from the delivery of one of its driving events: run the step under way (or
 * the next compensation), record its outcome together with the start of the following step,
 * expecting the revision it was decided on, and go on until nothing is left to do now.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { nextAction, type NextAction, type StartedCheckout, type Step } from '../domain/checkout';
import type { CausationMetadata } from '../platform/eventstore';
import type { Logger } from '../platform/logger';
import { backoffDelay } from '../platform/retry';
import type { CheckoutStreams, LoadedCheckout, Recorded } from './checkout-streams';
import type { CheckoutEffects } from './effects';
import type { SagaMetrics } from './metrics';
import type { StepRuns } from './step-runs';

export interface CheckoutDriverOptions {
  checkouts: CheckoutStreams;
  effects: CheckoutEffects;
  steps: StepRuns;
  metrics: SagaMetrics;
  /** The wait before a compensation is tried again, growing with its recorded failures. */
  retryBackoff: { initialMs: number; maxMs: number };
  now: () => string;
  /** Test hook: called at each step boundary (`before:<step>`, `after-effect:<step>`, `after-record:<step>`). */
  boundary: (point: string) => void;
}

/** A move is made on a checkout under way, at the revision it was seen at, on behalf of the event that drives it (its metadata and log). */
interface MoveContext {
  readonly orderId: string;
  readonly checkout: StartedCheckout;
  readonly revision: bigint;
  readonly metadata: CausationMetadata;
  readonly log: Logger;
}

export class CheckoutDriver {
  constructor(private readonly options: CheckoutDriverOptions) {}

  /** Drives the checkout from the delivery of its driving event at revision `delivered`. */
  async drive(orderId: string, delivered: bigint, metadata: CausationMetadata, log: Logger): Promise<void> {
    let loaded = await this.options.checkouts.atLeast(orderId, delivered);
    // A later driving event was appended: its delivery drives (or its drive already did).
    if (loaded.state.driver !== undefined && loaded.state.driver > delivered) return;
    // Having recorded a move, this process knows the stream is at the revision it wrote, so it
    // makes the next move at once (the delivery of the driving event it wrote then arrives stale).
    // A drive ends when nothing is left to do now, when a compensation failed (its recorded
    // failure's delivery retries it), or when someone else's append got in first (a cancellation,
    // a fired deadline, another process: that append's driving event drives).
    for (;;) {
      const next = await this.move(orderId, loaded, metadata, log);
      if (!next) return;
      loaded = next.loaded;
      metadata = { ...metadata, causationId: next.lastEventId };
    }
  }

  /** Makes one move (a step or a compensation) and records it; undefined when there is nothing more to do now. */
  private async move(orderId: string, loaded: LoadedCheckout, metadata: CausationMetadata, log: Logger): Promise<Recorded | undefined> {
    const { checkout } = loaded.state;
    if (checkout.status === 'not_started' || loaded.revision === 'no_stream') return undefined;
    const context: MoveContext = { orderId, checkout, revision: loaded.revision, metadata, log };
    const action = nextAction(checkout);
    if (action.kind === 'none') return undefined;
    const name = action.kind === 'step' ? action.step.kind : action.compensation.kind;
    const recorded = action.kind === 'step' ? await this.step(context, action.step) : await this.compensate(context, action);
    if (recorded) this.options.boundary(`after-record:${name}`);
    return recorded;
  }

  private async step({ orderId, checkout, revision: seenAt, metadata, log }: MoveContext, step: Step): Promise<Recorded | undefined> {
    const { checkouts, effects, steps, boundary, now } = this.options;
    boundary(`before:${step.kind}`);
    const movedOn = async () => {
      const { revision } = await checkouts.load(orderId);
      return revision !== 'no_stream' && revision > seenAt;
    };
    const outcome = await steps.run({ orderId, step: step.kind, log, movedOn }, (signal) =>
      effects.runStep(step, { checkout, metadata, now, signal, ...(checkout.why ? { why: checkout.why } : {}) }),
    );
    if (outcome === 'stale') return undefined;
    boundary(`after-effect:${step.kind}`);
    const recorded = await checkouts.record(
      orderId,
      seenAt,
      { type: 'RecordStepOutcome', data: { outcome, now: now() } },
      { metadata, cause: `after/${metadata.causationId}` },
    );
    if (recorded)
      log.info(
        {
          step: step.kind,
          outcome: 'result' in outcome ? outcome.result : undefined,
          recorded: recorded.events.map((event) => event.type),
        },
        'checkout step recorded',
      );
    return recorded;
  }

  private async compensate(
    { orderId, checkout, revision, metadata, log }: MoveContext,
    { compensation, failures, why }: Extract<NextAction, { kind: 'compensate' }>,
  ): Promise<Recorded | undefined> {
    const { checkouts, effects, metrics, boundary, now } = this.options;
    const name = compensation.kind;
    // After a transient failure, wait a backoff that grows with each failure.
    if (failures > 0) await sleep(backoffDelay({ ...this.options.retryBackoff, jitter: 'none' }, failures));
    boundary(`before:${name}`);
    const started = performance.now();
    const result = await effects.runCompensation(compensation, { checkout, metadata, now, why });
    metrics.stepDuration.observe({ step: name, outcome: result.ok ? 'completed' : 'failed' }, (performance.now() - started) / 1000);
    metrics.compensations.inc({ compensation: name, outcome: result.ok ? 'completed' : 'failed' });
    if (!result.ok) log.warn({ compensation, attempt: failures + 1, error: result.error }, 'compensation failed; it will be retried');
    boundary(`after-effect:${name}`);
    const recorded = await checkouts.record(
      orderId,
      revision,
      { type: 'RecordCompensationOutcome', data: { compensation, result, now: now() } },
      { metadata, cause: `after/${metadata.causationId}` },
    );
    if (recorded?.events.some((event) => event.type === 'CheckoutCompensated')) log.info({ why }, 'checkout compensated');
    // The recorded failure's delivery retries it (after its backoff), like any redelivery.
    return result.ok ? recorded : undefined;
  }
}
