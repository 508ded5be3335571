/**
 * The saga process: turns delivered events (and due deadlines) into checkout steps.
 *
 * - `OrderPlaced` (stream `order-…`) starts the checkout: CheckoutStarted and the first step's
 *   start are appended to `checkout-{orderId}` with expected revision "no stream".
 * - The saga's own checkout events are delivered back to it, except those a delivery never needs
 *   (delivered-events.ts). The delivery of the first step's start *drives* the checkout
 *   (checkout-driver.ts): run the step under way (or the next compensation), append its outcome
 *   together with the start of the following step expecting the revision it was decided on, and go
 *   on until nothing is left to do now. The delivery is acked only when the drive ends. A delivery
 *   drives unless a later delivered (*driving*) event is in the stream: then that one drives, or
 *   its drive already did. Every append after which something is left to do ends with a driving
 *   event, so a crash anywhere leaves a driving event unacked or undelivered, and its delivery
 *   drives on from what the stream says. Each step's start is a message of its own, so the
 *   redelivery count starts afresh with each step, and only a step that keeps failing is parked.
 *   (OrderPlaced does not drive itself: the order's stream and the checkout's may be pinned to
 *   different processes, and both would drive at once.)
 * - `OrderCancellationRequested` is recorded in the checkout, which then compensates.
 * - A due deadline (deadlines.ts) is recorded in the checkout if it still matters.
 * - Every append expects the revision its decision was made on (checkout-streams.ts), so two
 *   processes can never both drive one order: the loser's append fails, and its step
 *   (idempotent) had no second effect.
 *
 * Within one process, the events of one order are handled one at a time (KeyedQueue).
 */
import type { EventStoreDBClient, ResolvedEvent } from '@eventstore/db-client';
import { orderCodec, type OrderEvent } from '../domain';
import type { CheckoutCommand, DeadlineName } from '../domain/checkout';
import { orderStream, parseStreamName } from '../domain/stream-names';
import { readStreamEvents, storedEventOf, VersionConflictError, type CausationMetadata } from '../platform/eventstore';
import { KeyedQueue } from '../platform/keyed-queue';
import { withCausation, type Logger } from '../platform/logger';
import { CheckoutDriver } from './checkout-driver';
import { CheckoutStreams } from './checkout-streams';
import { CheckoutEffects } from './effects';
import type { SagaMetrics } from './metrics';
import type { PaymentProvider } from './payment/port';
import { StepRuns } from './step-runs';

const ACTOR = 'system:saga';

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

/** An event the saga acts on: what it causes carries its id and the request it descends from. */
interface Cause {
  readonly orderId: string;
  readonly eventId: string;
  readonly revision: bigint;
  readonly correlationId: string;
}

function causeOf(orderId: string, event: { id: string; revision: bigint; metadata: unknown }): Cause {
  const correlationId = (event.metadata as { correlationId?: unknown } | undefined)?.correlationId;
  return {
    orderId,
    eventId: event.id,
    revision: event.revision,
    correlationId: typeof correlationId === 'string' ? correlationId : orderId,
  };
}

type OrderPlaced = Extract<OrderEvent, { type: 'OrderPlaced' }>;

export class CheckoutProcess {
  private readonly orders = new KeyedQueue();
  private readonly checkouts: CheckoutStreams;
  private readonly steps: StepRuns;
  private readonly effects: CheckoutEffects;
  private readonly driver: CheckoutDriver;
  private readonly now: () => string;

  constructor(private readonly options: CheckoutProcessOptions) {
    const clock = options.clock ?? (() => new Date());
    this.now = () => clock().toISOString();
    this.checkouts = new CheckoutStreams(options.client, options.logger);
    this.steps = new StepRuns(options);
    this.effects = new CheckoutEffects(options.client, options.provider, options.logger);
    const { checkouts, steps, effects, now } = this;
    this.driver = new CheckoutDriver({
      checkouts,
      steps,
      effects,
      now,
      metrics: options.metrics,
      retryBackoff: options.retryBackoff,
      boundary: options.boundary ?? (() => {}),
    });
  }

  /** Handles one delivered event; resolves once its effects are recorded (then it may be acked). */
  async handle(resolved: ResolvedEvent): Promise<void> {
    const event = resolved.event;
    const stream = event && parseStreamName(event.streamId);
    if (!event || !stream) return;
    const cause = causeOf(stream.id, event);
    if (stream.category === 'order') {
      if (event.type !== 'OrderPlaced' && event.type !== 'OrderCancellationRequested') return;
      this.options.metrics.eventsHandled.inc({ type: event.type });
      // A cancellation must not wait behind a payment call under way for the same order (it may
      // hang until its deadline): it is recorded at once, with the expected revision as the guard.
      if (event.type === 'OrderCancellationRequested') return this.requestCancellation(cause);
      const placed = orderCodec.decode(storedEventOf(event));
      if (placed.type === 'OrderPlaced') await this.orders.run(cause.orderId, () => this.start(cause, placed));
    } else if (stream.category === 'checkout') {
      this.options.metrics.eventsHandled.inc({ type: event.type });
      await this.orders.run(cause.orderId, () =>
        this.driver.drive(cause.orderId, cause.revision, this.causation(cause), this.logFor(cause)),
      );
    }
  }

  /** Fires a due deadline if it still matters; every process may try, the expected revision lets one win. */
  async fireDeadline(orderId: string, deadline: DeadlineName): Promise<boolean> {
    const metadata: CausationMetadata = { correlationId: orderId, causationId: `deadline:${deadline}`, actor: ACTOR };
    const command: CheckoutCommand = { type: 'FireDeadline', data: { deadline, now: this.now() } };
    const fired = await this.checkouts
      .decide(orderId, command, { metadata, cause: `deadline/${deadline}` }, 'any')
      .catch((error: unknown) => {
        // Others kept writing the checkout: theirs is the move that counts.
        if (error instanceof VersionConflictError) return undefined;
        throw error;
      });
    if (!fired) return false;
    this.options.metrics.deadlinesFired.inc({ deadline });
    this.options.logger.info({ orderId, deadline, correlationId: orderId }, 'deadline fired');
    this.steps.abort(orderId, `the ${deadline} deadline fired`);
    return true;
  }

  private logFor({ orderId, eventId, correlationId }: Cause): Logger {
    return withCausation(this.options.logger, { correlationId, causationId: eventId }).child({ orderId });
  }

  private causation({ eventId, correlationId }: Cause): CausationMetadata {
    return { correlationId, causationId: eventId, actor: ACTOR };
  }

  private async start(cause: Cause, placed: OrderPlaced): Promise<void> {
    const { orderId } = cause;
    this.effects.orderPlaced(orderId, placed, cause.revision);
    const { paymentDeadlineMs, checkoutDeadlineMs } = this.options;
    const command: CheckoutCommand = {
      type: 'StartCheckout',
      data: { order: placed.data, paymentDeadlineMs, checkoutDeadlineMs, now: this.now() },
    };
    // Usually the checkout does not exist yet: decided without reading; if it does, the append conflicts and it is read.
    await this.checkouts.decide(orderId, command, { metadata: this.causation(cause), cause: `started/${cause.eventId}` }, 'new');
    this.logFor(cause).debug('checkout started');
  }

  private async requestCancellation(cause: Cause): Promise<void> {
    const { orderId } = cause;
    const loaded = await this.checkouts.load(orderId);
    if (loaded.state.checkout.status === 'not_started') {
      // The request overtook OrderPlaced (another process has it): start from the order's stream.
      const [first] = (await readStreamEvents(this.options.client, orderStream(orderId), { codec: orderCodec, maxCount: 1 })).events;
      if (first?.event.type !== 'OrderPlaced') throw new Error(`cancellation requested for order ${orderId}, which has no OrderPlaced`);
      await this.start(causeOf(orderId, first), first.event);
    }
    const command: CheckoutCommand = { type: 'RequestCancellation', data: { now: this.now() } };
    if (await this.checkouts.decide(orderId, command, { metadata: this.causation(cause), cause: `cancel/${cause.eventId}` }, 'any')) {
      this.logFor(cause).info('cancellation requested during checkout');
      this.steps.abort(orderId, 'the customer asked to cancel');
    }
  }
}
