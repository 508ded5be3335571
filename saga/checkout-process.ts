/**
 * The saga process: turns delivered events into checkout steps.
 *
 * - `OrderPlaced` (stream `order-…`) starts the checkout: CheckoutStarted and the first step's
 *   start are appended to `checkout-{orderId}` with expected revision "no stream".
 * - The saga's own checkout events are delivered back to it, except those a delivery never needs
 *   (`UNDELIVERED_CHECKOUT_EVENTS`). The delivery of the first step's start *drives* the checkout:
 *   run the step under way (or the next compensation), append its outcome together with the start
 *   of the following step expecting the revision it was decided on, and go on until nothing is
 *   left to do now. The delivery is acked only when the drive ends. A delivery drives unless a
 *   later delivered (*driving*) event is in the stream: then that one drives, or its drive already
 *   did. Every append after which something is left to do ends with a driving event, so a crash
 *   anywhere leaves a driving event unacked or undelivered, and its delivery drives on from what
 *   the stream says. Each step's start is a message of its own, so the redelivery count starts
 *   afresh with each step, and only a step that keeps failing is parked.
 *   (OrderPlaced does not drive itself: the order's stream and the checkout's may be pinned to
 *   different processes, and both would drive at once.)
 * - `OrderCancellationRequested` is recorded in the checkout, which then compensates.
 * - Every append expects the revision its decision was made on, so two processes can never both
 *   drive one order: the loser's append fails, and its step (idempotent) had no second effect.
 *
 * Within one process, the events of one order are handled one at a time (KeyedQueue).
 */
import type { EventStoreDBClient, ResolvedEvent } from '@eventstore/db-client';
import { isDomainError, readOrderEvent, type StoredEvent } from '../domain';
import {
  checkoutDecider,
  checkoutSchemaVersion,
  checkoutStream,
  nextAction,
  readCheckoutEvent,
  type CheckoutCommand,
  type CheckoutEvent,
  type CheckoutState,
  type DeadlineName,
  type StartedCheckout,
} from '../domain/checkout';
import { appendEvents, deterministicEventIds, readStreamEvents, VersionConflictError, type CausationMetadata, type EventCodec } from '../platform/eventstore';
import { withCausation, type Logger } from '../platform/logger';
import { CheckoutEffects, KeyedQueue } from './effects';
import type { SagaMetrics } from './metrics';
import { TransientPaymentError, type PaymentProvider } from './payment/port';

export const checkoutCodec: EventCodec<CheckoutEvent> = {
  schemaVersionOf: (event) => checkoutSchemaVersion[event.type],
  decode: (stored) => readCheckoutEvent(stored),
};

export const ACTOR = 'system:saga';

/**
 * Checkout events the saga's subscription does not deliver, because an append never ends with
 * one while something is left to do (saga/delivered-events.unit.test.ts walks every checkout the
 * decider allows to check it): the payment outcomes, which the decider records together with the
 * next step's start, CheckoutStarted (always recorded with the first step's start), and the two
 * ends. A line's reservation is delivered: during a compensation it is recorded on its own.
 * Leaving these out cuts the saga's deliveries per one-line happy checkout from 11 to 6.
 */
export const UNDELIVERED_CHECKOUT_EVENTS = ['CheckoutStarted', 'PaymentAuthorizationApproved', 'PaymentCaptureCompleted', 'CheckoutCompleted', 'CheckoutCompensated'] as const satisfies readonly CheckoutEvent['type'][];
const undelivered: ReadonlySet<string> = new Set(UNDELIVERED_CHECKOUT_EVENTS);
const DRIVING_CHECKOUT_EVENTS = (Object.keys(checkoutSchemaVersion) as CheckoutEvent['type'][]).filter((type) => !undelivered.has(type));
const drivingCheckoutEvents: ReadonlySet<string> = new Set(DRIVING_CHECKOUT_EVENTS);

/** What the saga's persistent subscription delivers: orders placed, cancellations asked for, and the driving checkout events. */
export const DELIVERED_EVENT_TYPES: readonly string[] = ['OrderPlaced', 'OrderCancellationRequested', ...DRIVING_CHECKOUT_EVENTS];

export interface CheckoutProcessOptions {
  client: EventStoreDBClient;
  provider: PaymentProvider;
  logger: Logger;
  metrics: SagaMetrics;
  paymentDeadlineMs: number;
  checkoutDeadlineMs: number;
  /** Attempts of a failing step within one delivery, with backoff, before handing the event back. */
  stepAttempts: number;
  retryBackoff: { initialMs: number; maxMs: number };
  clock?: () => Date;
  /** Test hook: called at each step boundary (`before:<step>`, `after-effect:<step>`, `after-record:<step>`). */
  boundary?: (point: string) => void;
}

interface Loaded {
  state: CheckoutState;
  revision: bigint | 'no_stream';
  /** The revision of the stream's last driving event: its delivery is the one that drives now. */
  driver: bigint | undefined;
}

interface Recorded {
  loaded: Loaded;
  lastEventId: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function metadataOf(resolved: ResolvedEvent): { correlationId: string | undefined } {
  const metadata = resolved.event?.metadata as { correlationId?: unknown } | undefined;
  return { correlationId: typeof metadata?.correlationId === 'string' ? metadata.correlationId : undefined };
}

function storedOf(resolved: ResolvedEvent): StoredEvent {
  const event = resolved.event!;
  const metadata = event.metadata as { schemaVersion?: unknown } | undefined;
  return { type: event.type, data: event.data, schemaVersion: metadata?.schemaVersion };
}

const isAfter = (a: bigint | 'no_stream', b: bigint) => a !== 'no_stream' && a > b;

export class CheckoutProcess {
  private readonly orders = new KeyedQueue();
  /** The last state this process saw of each checkout, and the revision it reflects. */
  private readonly cache = new Map<string, Loaded>();
  /** The step under way per order, so a fired deadline can abandon it. */
  private readonly running = new Map<string, AbortController>();
  private readonly effects: CheckoutEffects;
  private readonly clock: () => Date;

  constructor(private readonly options: CheckoutProcessOptions) {
    this.effects = new CheckoutEffects(options.client, options.provider, options.logger);
    this.clock = options.clock ?? (() => new Date());
  }

  private now = () => this.clock().toISOString();

  /** Handles one delivered event; resolves once its effects are recorded (then it may be acked). */
  async handle(resolved: ResolvedEvent): Promise<void> {
    const event = resolved.event;
    if (!event) return;
    const stream = event.streamId;
    if (stream.startsWith('order-')) {
      if (event.type !== 'OrderPlaced' && event.type !== 'OrderCancellationRequested') return;
      const orderId = stream.slice('order-'.length);
      this.options.metrics.eventsHandled.inc({ type: event.type });
      // A cancellation must not wait behind a payment call under way for the same order (it may
      // hang until its deadline): it is recorded at once, with the expected revision as the guard.
      if (event.type === 'OrderCancellationRequested') await this.requestCancellation(orderId, resolved);
      else await this.orders.run(orderId, () => this.start(orderId, resolved));
    } else if (stream.startsWith('checkout-')) {
      const orderId = stream.slice('checkout-'.length);
      this.options.metrics.eventsHandled.inc({ type: event.type });
      await this.orders.run(orderId, () => this.drive(orderId, resolved));
    }
  }

  private logFor(resolved: ResolvedEvent, orderId: string): Logger {
    return withCausation(this.options.logger, { correlationId: metadataOf(resolved).correlationId ?? orderId, causationId: resolved.event!.id }).child({ orderId });
  }

  private causation(resolved: ResolvedEvent, orderId: string): CausationMetadata {
    return { correlationId: metadataOf(resolved).correlationId ?? orderId, causationId: resolved.event!.id, actor: ACTOR };
  }

  // ---- starting and cancelling -----------------------------------------------------------

  private async start(orderId: string, resolved: ResolvedEvent): Promise<void> {
    const placed = readOrderEvent(storedOf(resolved));
    if (placed.type !== 'OrderPlaced') return;
    this.effects.orderPlaced(orderId, placed, resolved.event!.revision);
    const command: CheckoutCommand = {
      type: 'StartCheckout',
      data: { order: placed.data, paymentDeadlineMs: this.options.paymentDeadlineMs, checkoutDeadlineMs: this.options.checkoutDeadlineMs, now: this.now() },
    };
    // Usually the checkout does not exist yet: decide without reading; if it does, the append conflicts and we read.
    await this.decideAndRecord(orderId, command, this.causation(resolved, orderId), `started/${resolved.event!.id}`, true);
    this.logFor(resolved, orderId).debug('checkout started');
  }

  private async requestCancellation(orderId: string, resolved: ResolvedEvent): Promise<void> {
    const metadata = this.causation(resolved, orderId);
    const loaded = await this.load(orderId, true);
    if (loaded.state.status === 'not_started') {
      // The request overtook OrderPlaced (another process has it): start from the order's stream.
      const placed = await this.orderPlaced(orderId);
      if (!placed) throw new Error(`cancellation requested for order ${orderId}, which has no OrderPlaced`);
      await this.start(orderId, placed);
    }
    const appended = await this.decideAndRecord(orderId, { type: 'RequestCancellation', data: { now: this.now() } }, metadata, `cancel/${resolved.event!.id}`);
    if (appended) {
      this.logFor(resolved, orderId).info('cancellation requested during checkout');
      this.running.get(orderId)?.abort(new Error('the customer asked to cancel'));
    }
  }

  private async orderPlaced(orderId: string): Promise<ResolvedEvent | undefined> {
    for await (const resolved of this.options.client.readStream(`order-${orderId}`, { maxCount: 1 })) {
      if (resolved.event?.type === 'OrderPlaced') return resolved;
    }
    return undefined;
  }

  /** Decides on fresh state and appends, re-deciding on a conflict. Returns whether anything was appended. */
  private async decideAndRecord(orderId: string, command: CheckoutCommand, metadata: CausationMetadata, idKey: string, assumeNew = false): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const unknown = attempt === 1 && assumeNew && !this.cache.has(orderId);
      const loaded: Loaded = unknown ? { state: checkoutDecider.initialState(), revision: 'no_stream', driver: undefined } : await this.load(orderId, attempt > 1);
      const events = checkoutDecider.decide(command, loaded.state);
      if (events.length === 0) return false;
      try {
        await this.record(orderId, loaded, events, metadata, idKey);
        return true;
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= 20) throw error;
        await sleep(Math.random() * 5 * attempt);
      }
    }
  }

  // ---- driving ---------------------------------------------------------------------------

  /** Drives the checkout from the delivery of one of its driving events. */
  private async drive(orderId: string, resolved: ResolvedEvent): Promise<void> {
    const delivered = resolved.event!.revision;
    let loaded = this.cache.get(orderId);
    if (!loaded || loaded.revision === 'no_stream' || loaded.revision < delivered) loaded = await this.load(orderId, true);
    // A later driving event was appended: its delivery drives (or its drive already did).
    if (loaded.driver !== undefined && loaded.driver > delivered) return;
    const log = this.logFor(resolved, orderId);
    let metadata = this.causation(resolved, orderId);
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
  private async move(orderId: string, loaded: Loaded, metadata: CausationMetadata, log: Logger): Promise<Recorded | undefined> {
    const state = loaded.state;
    if (state.status === 'not_started' || loaded.revision === 'no_stream') return undefined;
    const action = nextAction(state);
    if (action.kind === 'none') return undefined;
    const idKey = `after/${metadata.causationId}`;
    const boundary = this.options.boundary ?? (() => {});
    let events: CheckoutEvent[];
    let name: string;
    let recorded: Recorded | undefined;

    if (action.kind === 'step') {
      name = action.step.kind;
      boundary(`before:${name}`);
      const outcome = await this.withRetries(orderId, loaded.revision, name, log, (signal) =>
        this.effects.runStep(action.step, { checkout: state, metadata, now: this.now, signal, ...(state.why ? { why: state.why } : {}) }),
      );
      if (outcome === 'stale') return undefined;
      boundary(`after-effect:${name}`);
      events = checkoutDecider.decide({ type: 'RecordStepOutcome', data: { outcome, now: this.now() } }, state);
      if (events.length === 0 || !(recorded = await this.tryRecord(orderId, loaded, events, metadata, idKey))) return undefined;
      log.info({ step: name, outcome: 'result' in outcome ? outcome.result : undefined, recorded: events.map((event) => event.type) }, 'checkout step recorded');
    } else {
      // A compensation: after a transient failure, wait a backoff that grows with each failure.
      const { compensation, failures } = action;
      name = compensation.kind;
      if (failures > 0) await sleep(Math.min(this.options.retryBackoff.maxMs, this.options.retryBackoff.initialMs * 2 ** (failures - 1)));
      boundary(`before:${name}`);
      const started = performance.now();
      const result = await this.effects.runCompensation(compensation, { checkout: state, metadata, now: this.now, why: action.why });
      this.options.metrics.stepDuration.observe({ step: name, outcome: result.ok ? 'completed' : 'failed' }, (performance.now() - started) / 1000);
      this.options.metrics.compensations.inc({ compensation: name, outcome: result.ok ? 'completed' : 'failed' });
      if (!result.ok) log.warn({ compensation, attempt: failures + 1, error: result.error }, 'compensation failed; it will be retried');
      boundary(`after-effect:${name}`);
      events = checkoutDecider.decide({ type: 'RecordCompensationOutcome', data: { compensation, result, now: this.now() } }, state);
      if (events.length === 0 || !(recorded = await this.tryRecord(orderId, loaded, events, metadata, idKey))) return undefined;
      if (events.some((event) => event.type === 'CheckoutCompensated')) log.info({ why: action.why }, 'checkout compensated');
      // The recorded failure's delivery retries it (after its backoff), like any redelivery.
      if (!result.ok) return undefined;
    }
    boundary(`after-record:${name}`);
    return recorded;
  }

  /**
   * Runs a step, retrying transient failures with backoff while this delivery is still the one
   * that drives (a fired deadline or a cancellation makes it stale: give up quietly). A business
   * answer is not an error: it comes back as the outcome.
   */
  private async withRetries<T>(orderId: string, delivered: bigint, step: string, log: Logger, run: (signal: AbortSignal) => Promise<T>): Promise<T | 'stale'> {
    for (let attempt = 1; ; attempt++) {
      const controller = new AbortController();
      this.running.set(orderId, controller);
      const started = performance.now();
      try {
        const result = await run(controller.signal);
        this.options.metrics.stepDuration.observe({ step, outcome: 'ok' }, (performance.now() - started) / 1000);
        return result;
      } catch (error) {
        this.options.metrics.stepDuration.observe({ step, outcome: 'error' }, (performance.now() - started) / 1000);
        if (isDomainError(error)) throw error;
        const fresh = await this.load(orderId, true);
        if (isAfter(fresh.revision, delivered)) {
          log.info({ step, err: error }, 'step abandoned: the checkout moved on meanwhile');
          return 'stale';
        }
        if (attempt >= this.options.stepAttempts) throw error;
        const delay = Math.min(this.options.retryBackoff.maxMs, this.options.retryBackoff.initialMs * 2 ** (attempt - 1));
        log.warn({ step, attempt, delayMs: delay, err: error, transient: error instanceof TransientPaymentError }, 'step failed; retrying');
        await sleep(delay);
      } finally {
        if (this.running.get(orderId) === controller) this.running.delete(orderId);
      }
    }
  }

  // ---- deadlines ----------------------------------------------------------------------------

  /** Fires a due deadline if it still matters; every process may try, the expected revision lets one win. */
  async fireDeadline(orderId: string, deadline: DeadlineName): Promise<boolean> {
    const metadata: CausationMetadata = { correlationId: orderId, causationId: `deadline:${deadline}`, actor: ACTOR };
    for (let attempt = 1; attempt <= 20; attempt++) {
      const loaded = await this.load(orderId, true);
      const events = checkoutDecider.decide({ type: 'FireDeadline', data: { deadline, now: this.now() } }, loaded.state);
      if (events.length === 0) return false;
      try {
        await this.record(orderId, loaded, events, metadata, `deadline/${deadline}`);
        this.options.metrics.deadlinesFired.inc({ deadline });
        this.options.logger.info({ orderId, deadline, correlationId: orderId }, 'deadline fired');
        this.running.get(orderId)?.abort(new Error(`the ${deadline} deadline fired`));
        return true;
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        await sleep(Math.random() * 5 * attempt);
      }
    }
    return false;
  }

  // ---- the checkout stream --------------------------------------------------------------------

  private async load(orderId: string, fresh: boolean): Promise<Loaded> {
    const cached = this.cache.get(orderId);
    if (cached && !fresh) return cached;
    const { events, revision } = await readStreamEvents(this.options.client, checkoutStream(orderId), { codec: checkoutCodec });
    let state = checkoutDecider.initialState();
    let driver: bigint | undefined;
    for (const recorded of events) {
      state = checkoutDecider.evolve(state, recorded.event);
      if (drivingCheckoutEvents.has(recorded.event.type)) driver = recorded.revision;
    }
    const loaded: Loaded = { state, revision, driver };
    this.remember(orderId, loaded);
    return loaded;
  }

  private remember(orderId: string, loaded: Loaded): void {
    this.cache.delete(orderId);
    this.cache.set(orderId, loaded);
    // Oldest first: forget what has not been touched for longest.
    if (this.cache.size > 20_000) for (const key of [...this.cache.keys()].slice(0, 5_000)) this.cache.delete(key);
  }

  /**
   * Appends `events` expecting the revision they were decided on; returns the state they lead to
   * and the id of the last one. The ids derive from the causing event and from what was decided,
   * so a repeat of the same decision is accepted as already written, while a different decision
   * on the same revision (two processes racing on one redelivered message) conflicts instead of
   * passing for a repeat and leaving this process with a state the stream does not have.
   */
  private async record(orderId: string, loaded: Loaded, events: CheckoutEvent[], metadata: CausationMetadata, idKey: string): Promise<Recorded> {
    const stream = checkoutStream(orderId);
    try {
      const eventIds = deterministicEventIds(`${stream}/${idKey}/${events.map((event) => event.type).join(',')}`, events.length);
      const { nextExpectedRevision } = await appendEvents(this.options.client, stream, events, {
        expectedRevision: loaded.revision,
        metadata,
        codec: checkoutCodec,
        eventIds,
      });
      const lastDriving = events.findLastIndex((event) => drivingCheckoutEvents.has(event.type));
      const driver = lastDriving < 0 ? loaded.driver : nextExpectedRevision - BigInt(events.length - 1 - lastDriving);
      const after: Loaded = { state: events.reduce(checkoutDecider.evolve, loaded.state), revision: nextExpectedRevision, driver };
      this.remember(orderId, after);
      return { loaded: after, lastEventId: eventIds[eventIds.length - 1]! };
    } catch (error) {
      if (error instanceof VersionConflictError) this.cache.delete(orderId);
      throw error;
    }
  }

  /** Appends a move's outcome (returns what was recorded); undefined when someone else's append got in first (its driving event drives on). */
  private async tryRecord(orderId: string, loaded: Loaded, events: CheckoutEvent[], metadata: CausationMetadata, idKey: string): Promise<Recorded | undefined> {
    try {
      return await this.record(orderId, loaded, events, metadata, idKey);
    } catch (error) {
      if (error instanceof VersionConflictError) return undefined;
      throw error;
    }
  }

  /** For `/ready` and tests. */
  checkoutState(orderId: string): StartedCheckout | undefined {
    const state = this.cache.get(orderId)?.state;
    return state && state.status !== 'not_started' ? state : undefined;
  }
}

