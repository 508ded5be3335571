/**
 * The checkout saga's process logic (stream `checkout-{orderId}`): pure, so every question
 * "what happens when...?" is answered here, and the saga process only carries it out.
 *
 *   OrderPlaced ─▶ reserve line 1 … line n ─▶ authorize payment ─▶ capture ─▶ confirm order + commit stock ─▶ completed
 *                    │ a line rejected           │ declined / no answer     │ refused           │ refused (customer asked
 *                    ▼                           ▼ before the deadline      ▼                   ▼ to cancel meanwhile)
 *                  compensating ───────────────────────────────────────────────────────────────────▶ compensated
 *
 * Rules:
 * - Before a step runs, the compensation that undoes it is registered (release the line's stock
 *   before reserving it, void before authorizing, refund before capturing; cancelling the order
 *   undoes the whole checkout and is registered first). The step's start event registers it (and
 *   schedules the step's deadline), so both are durable before the step's effect can happen. On
 *   failure they run in reverse order, so the order is cancelled last, once stock and money are back.
 * - A compensation that fails transiently is recorded (CompensationFailed) and retried after a
 *   backoff, forever: it is never dropped. Compensations are idempotent in the world outside.
 * - A customer's cancellation request or a fired deadline stops forward steps. A step already
 *   under way on our own event store (reserving a line, confirming the order) is finished first,
 *   so its effect is known before compensating; a payment call under way is abandoned, because
 *   the provider fences it by its idempotency key (a void before the late authorization makes
 *   that authorization fail).
 * - The payment deadline fires only while the authorization is unanswered; the checkout
 *   deadline fires while anything before confirmation is unfinished. Both cancel the order as
 *   `payment_timed_out` (the order's reasons are the customer's words, and from the customer's
 *   side the payment did not go through in time).
 * - Once the order is confirmed there is nothing to compensate: a cancellation request is
 *   refused by the order itself, and a late one here changes nothing.
 *
 * Commands carry the time (`now`); nothing here reads a clock. Repeating a command whose effect
 * is already recorded yields no events, so a redelivered message changes nothing.
 */
import type { Money } from '../shared/money';
import type { OrderId, Sku } from '../shared/values';
import type { OrderLine } from '../order/events';
import type { Compensation, CompensationReason, CheckoutEvent, DeadlineName } from './events';

export type Step =
  | { readonly kind: 'reserve_stock'; readonly sku: Sku; readonly quantity: number }
  | { readonly kind: 'authorize_payment' }
  | { readonly kind: 'capture_payment' }
  | { readonly kind: 'confirm_order' };

/** What the outside world answered to the step under way. */
export type StepOutcome =
  | { readonly step: 'reserve_stock'; readonly sku: Sku; readonly result: 'reserved' }
  | { readonly step: 'reserve_stock'; readonly sku: Sku; readonly result: 'rejected'; readonly available: number }
  | { readonly step: 'authorize_payment'; readonly result: 'approved'; readonly providerReference: string }
  | { readonly step: 'authorize_payment'; readonly result: 'declined'; readonly reason: string }
  | { readonly step: 'capture_payment'; readonly result: 'captured' }
  | { readonly step: 'capture_payment'; readonly result: 'refused'; readonly reason: string }
  | { readonly step: 'confirm_order'; readonly result: 'confirmed' }
  | { readonly step: 'confirm_order'; readonly result: 'refused'; readonly code: string };

export type CheckoutCommand =
  | {
      readonly type: 'StartCheckout';
      readonly data: {
        readonly order: { orderId: OrderId; customerId: string; lines: readonly OrderLine[]; total: Money; paymentToken: string };
        readonly paymentDeadlineMs: number;
        readonly checkoutDeadlineMs: number;
        readonly now: string;
      };
    }
  | { readonly type: 'RecordStepOutcome'; readonly data: { readonly outcome: StepOutcome; readonly now: string } }
  | {
      readonly type: 'RecordCompensationOutcome';
      readonly data: {
        readonly compensation: Compensation;
        readonly result: { ok: true; note?: string } | { ok: false; error: string };
        readonly now: string;
      };
    }
  | { readonly type: 'RequestCancellation'; readonly data: { readonly now: string } }
  | { readonly type: 'FireDeadline'; readonly data: { readonly deadline: DeadlineName; readonly now: string } };

export interface RegisteredCompensation {
  readonly compensation: Compensation;
  readonly done: boolean;
  /** Transient failures so far: the backoff before the next attempt grows with it. */
  readonly failures: number;
}

export type PaymentProgress = 'none' | 'authorizing' | 'approved' | 'declined' | 'capturing' | 'captured' | 'capture_refused';

export type CheckoutState =
  | { readonly status: 'not_started' }
  | {
      readonly status: 'running' | 'compensating' | 'completed' | 'compensated';
      readonly orderId: OrderId;
      readonly customerId: string;
      readonly lines: readonly OrderLine[];
      readonly total: Money;
      readonly paymentToken: string;
      readonly paymentDeadlineMs: number;
      /** The step started and not yet answered. */
      readonly step: Step | undefined;
      /** Lines whose reservation was requested, in order. */
      readonly requestedLines: number;
      readonly reservedSkus: readonly Sku[];
      readonly payment: PaymentProgress;
      readonly providerReference: string | undefined;
      readonly compensations: readonly RegisteredCompensation[];
      readonly why: CompensationReason | undefined;
      readonly cancellationRequested: boolean;
      readonly deadlines: Readonly<Partial<Record<DeadlineName, { readonly dueAt: string; readonly fired: boolean }>>>;
    };

export type StartedCheckout = Exclude<CheckoutState, { status: 'not_started' }>;

/** What the saga process should do next for this checkout. */
export type NextAction =
  | { readonly kind: 'none' }
  | { readonly kind: 'step'; readonly step: Step }
  | { readonly kind: 'compensate'; readonly compensation: Compensation; readonly failures: number; readonly why: CompensationReason };

export function initialState(): CheckoutState {
  return { status: 'not_started' };
}

export function decide(command: CheckoutCommand, state: CheckoutState): CheckoutEvent[] {
  switch (command.type) {
    case 'StartCheckout': {
      if (state.status !== 'not_started') return [];
      const { order, paymentDeadlineMs, checkoutDeadlineMs, now } = command.data;
      const { orderId } = order;
      // Registers "cancel the order" and schedules the checkout deadline.
      const started: CheckoutEvent = {
        type: 'CheckoutStarted',
        data: {
          orderId,
          customerId: order.customerId,
          lines: [...order.lines],
          total: order.total,
          paymentToken: order.paymentToken,
          paymentDeadlineMs,
          checkoutDeadline: plus(now, checkoutDeadlineMs),
          startedAt: now,
        },
      };
      return andThen(state, [started], now);
    }

    case 'RecordStepOutcome':
      return recordStepOutcome(state, command.data.outcome, command.data.now);

    case 'RecordCompensationOutcome': {
      const { compensation, result, now } = command.data;
      const next = nextAction(state);
      if (state.status !== 'compensating' || next.kind !== 'compensate' || !sameCompensation(next.compensation, compensation)) return [];
      const { orderId } = state;
      if (!result.ok) {
        return [
          { type: 'CompensationFailed', data: { orderId, compensation, attempt: next.failures + 1, error: result.error, failedAt: now } },
        ];
      }
      const completed: CheckoutEvent = {
        type: 'CompensationCompleted',
        data: { orderId, compensation, ...(result.note === undefined ? {} : { note: result.note }), completedAt: now },
      };
      const after = evolve(state, completed);
      if (nextAction(after).kind !== 'none') return [completed];
      return [completed, { type: 'CheckoutCompensated', data: { orderId, why: next.why, compensatedAt: now } }];
    }

    case 'RequestCancellation': {
      const { now } = command.data;
      if (state.status === 'not_started' || state.status === 'completed' || state.status === 'compensated') return [];
      if (state.cancellationRequested) return [];
      const { orderId } = state;
      const requested: CheckoutEvent = { type: 'CancellationRequested', data: { orderId, requestedAt: now } };
      // Already giving up for another reason: the order is cancelled with that reason.
      if (state.status === 'compensating') return [requested];
      // The order itself refuses the confirmation under way (it knows of the request): that refusal compensates.
      if (state.step?.kind === 'confirm_order') return [requested];
      return [requested, { type: 'CheckoutCompensationStarted', data: { orderId, why: { reason: 'customer_request' }, startedAt: now } }];
    }

    case 'FireDeadline': {
      const { deadline, now } = command.data;
      if (state.status !== 'running') return [];
      const scheduled = state.deadlines[deadline];
      if (!scheduled || scheduled.fired || Date.parse(now) < Date.parse(scheduled.dueAt)) return [];
      const relevant = deadline === 'payment' ? state.payment === 'authorizing' : state.step?.kind !== 'confirm_order';
      if (!relevant) return [];
      const { orderId } = state;
      return [
        { type: 'DeadlineFired', data: { orderId, deadline, firedAt: now } },
        { type: 'CheckoutCompensationStarted', data: { orderId, why: { reason: 'payment_timed_out' }, startedAt: now } },
      ];
    }
  }
}

function recordStepOutcome(state: CheckoutState, outcome: StepOutcome, now: string): CheckoutEvent[] {
  if (state.status !== 'running' && state.status !== 'compensating') return [];
  // An answer to a step that is not the one under way was already recorded (a redelivery).
  if (!state.step || !answers(outcome, state.step)) return [];
  const { orderId } = state;
  const stop = (why: CompensationReason): CheckoutEvent[] =>
    state.status === 'running' ? [{ type: 'CheckoutCompensationStarted', data: { orderId, why, startedAt: now } }] : [];
  switch (outcome.step) {
    case 'reserve_stock': {
      const { sku } = outcome;
      const quantity = (state.step as Extract<Step, { kind: 'reserve_stock' }>).quantity;
      if (outcome.result === 'reserved')
        return andThen(state, [{ type: 'StockReservedForLine', data: { orderId, sku, quantity, reservedAt: now } }], now);
      return [
        { type: 'StockReservationRejectedForLine', data: { orderId, sku, quantity, available: outcome.available, rejectedAt: now } },
        ...stop({ reason: 'out_of_stock', sku }),
      ];
    }
    case 'authorize_payment':
      if (outcome.result === 'approved') {
        return andThen(
          state,
          [{ type: 'PaymentAuthorizationApproved', data: { orderId, providerReference: outcome.providerReference, approvedAt: now } }],
          now,
        );
      }
      return [
        { type: 'PaymentAuthorizationDeclined', data: { orderId, reason: outcome.reason, declinedAt: now } },
        ...stop({ reason: 'payment_declined' }),
      ];
    case 'capture_payment':
      if (outcome.result === 'captured')
        return andThen(state, [{ type: 'PaymentCaptureCompleted', data: { orderId, capturedAt: now } }], now);
      return [
        { type: 'PaymentCaptureRefused', data: { orderId, reason: outcome.reason, refusedAt: now } },
        ...stop({ reason: 'payment_declined' }),
      ];
    case 'confirm_order':
      if (outcome.result === 'confirmed') return [{ type: 'CheckoutCompleted', data: { orderId, completedAt: now } }];
      // The order refuses confirmation only when the customer asked to cancel it meanwhile.
      return [
        { type: 'OrderConfirmationRefused', data: { orderId, code: outcome.code, refusedAt: now } },
        ...stop({ reason: 'customer_request' }),
      ];
  }
}

/**
 * `events`, then the start of the next forward step when the checkout is still going forward.
 * Each start event registers its step's compensation (see `evolve`) before the step can run.
 */
function andThen(state: CheckoutState, events: CheckoutEvent[], now: string): CheckoutEvent[] {
  const after = events.reduce(evolve, state);
  if (after.status !== 'running' || after.step) return events;
  const { orderId } = after;
  const line = after.lines[after.requestedLines];
  if (line) {
    // Registers "release this line's stock".
    return [...events, { type: 'StockReservationRequested', data: { orderId, sku: line.sku, quantity: line.quantity, requestedAt: now } }];
  }
  switch (after.payment) {
    case 'none':
      // Registers "void the authorization" and schedules the payment deadline.
      return [
        ...events,
        {
          type: 'PaymentAuthorizationStarted',
          data: {
            orderId,
            amount: after.total,
            idempotencyKey: `${orderId}/authorize`,
            paymentDeadline: plus(now, after.paymentDeadlineMs),
            startedAt: now,
          },
        },
      ];
    case 'approved':
      // Registers "refund".
      return [...events, { type: 'PaymentCaptureStarted', data: { orderId, idempotencyKey: `${orderId}/capture`, startedAt: now } }];
    case 'captured':
      // Nothing to register: once the order is confirmed it is final.
      return [...events, { type: 'OrderConfirmationRequested', data: { orderId, requestedAt: now } }];
    default:
      return events;
  }
}

/** The one thing to do now; `none` when the checkout is finished or waiting for nothing. */
export function nextAction(state: CheckoutState): NextAction {
  if (state.status === 'running') return state.step ? { kind: 'step', step: state.step } : { kind: 'none' };
  if (state.status !== 'compensating' || !state.why) return { kind: 'none' };
  // Our own event store writes finish first, so that what they did is known and undone.
  if (state.step && (state.step.kind === 'reserve_stock' || state.step.kind === 'confirm_order')) return { kind: 'step', step: state.step };
  for (let index = state.compensations.length - 1; index >= 0; index--) {
    const registered = state.compensations[index]!;
    if (!registered.done)
      return { kind: 'compensate', compensation: registered.compensation, failures: registered.failures, why: state.why };
  }
  return { kind: 'none' };
}

export function evolve(state: CheckoutState, event: CheckoutEvent): CheckoutState {
  if (event.type === 'CheckoutStarted') {
    const { orderId, customerId, lines, total, paymentToken, paymentDeadlineMs, checkoutDeadline } = event.data;
    return {
      status: 'running',
      orderId,
      customerId,
      lines,
      total,
      paymentToken,
      paymentDeadlineMs,
      step: undefined,
      requestedLines: 0,
      reservedSkus: [],
      payment: 'none',
      providerReference: undefined,
      compensations: [registration({ kind: 'cancel_order' })],
      why: undefined,
      cancellationRequested: false,
      deadlines: { checkout: { dueAt: checkoutDeadline, fired: false } },
    };
  }
  if (state.status === 'not_started') return state;

  switch (event.type) {
    case 'DeadlineFired': {
      const scheduled = state.deadlines[event.data.deadline];
      return scheduled ? { ...state, deadlines: { ...state.deadlines, [event.data.deadline]: { ...scheduled, fired: true } } } : state;
    }
    case 'StockReservationRequested': {
      const { sku, quantity } = event.data;
      const compensations = [...state.compensations, registration({ kind: 'release_stock', sku })];
      return { ...state, compensations, step: { kind: 'reserve_stock', sku, quantity }, requestedLines: state.requestedLines + 1 };
    }
    case 'StockReservedForLine':
      return { ...state, step: undefined, reservedSkus: [...state.reservedSkus, event.data.sku] };
    case 'StockReservationRejectedForLine':
      // Nothing was reserved, so there is nothing to release.
      return { ...state, step: undefined, compensations: discharge(state.compensations, { kind: 'release_stock', sku: event.data.sku }) };
    case 'PaymentAuthorizationStarted': {
      const compensations = [...state.compensations, registration({ kind: 'void_payment' })];
      const deadlines = { ...state.deadlines, payment: { dueAt: event.data.paymentDeadline, fired: false } };
      return { ...state, compensations, deadlines, step: { kind: 'authorize_payment' }, payment: 'authorizing' };
    }
    case 'PaymentAuthorizationApproved':
      return { ...state, step: undefined, payment: 'approved', providerReference: event.data.providerReference };
    case 'PaymentAuthorizationDeclined':
      return { ...state, step: undefined, payment: 'declined', compensations: discharge(state.compensations, { kind: 'void_payment' }) };
    case 'PaymentCaptureStarted':
      return {
        ...state,
        compensations: [...state.compensations, registration({ kind: 'refund_payment' })],
        step: { kind: 'capture_payment' },
        payment: 'capturing',
      };
    case 'PaymentCaptureCompleted':
      return { ...state, step: undefined, payment: 'captured' };
    case 'PaymentCaptureRefused':
      return {
        ...state,
        step: undefined,
        payment: 'capture_refused',
        compensations: discharge(state.compensations, { kind: 'refund_payment' }),
      };
    case 'OrderConfirmationRequested':
      return { ...state, step: { kind: 'confirm_order' } };
    case 'OrderConfirmationRefused':
      return { ...state, step: undefined };
    case 'CancellationRequested':
      return { ...state, cancellationRequested: true };
    case 'CheckoutCompensationStarted':
      return { ...state, status: 'compensating', why: event.data.why };
    case 'CompensationCompleted':
      return { ...state, compensations: discharge(state.compensations, event.data.compensation) };
    case 'CompensationFailed':
      return {
        ...state,
        compensations: update(state.compensations, event.data.compensation, (each) => ({ ...each, failures: each.failures + 1 })),
      };
    case 'CheckoutCompleted':
      return { ...state, status: 'completed', step: undefined };
    case 'CheckoutCompensated':
      return { ...state, status: 'compensated' };
  }
}

function registration(compensation: Compensation): RegisteredCompensation {
  return { compensation, done: false, failures: 0 };
}

export function sameCompensation(a: Compensation, b: Compensation): boolean {
  return a.kind === b.kind && (a.kind !== 'release_stock' || (b.kind === 'release_stock' && a.sku === b.sku));
}

function answers(outcome: StepOutcome, step: Step): boolean {
  if (outcome.step !== step.kind) return false;
  return outcome.step !== 'reserve_stock' || (step.kind === 'reserve_stock' && step.sku === outcome.sku);
}

function discharge(compensations: readonly RegisteredCompensation[], compensation: Compensation): RegisteredCompensation[] {
  return update(compensations, compensation, (each) => ({ ...each, done: true }));
}

/** Changes the latest registration of `compensation` that is still pending. */
function update(
  compensations: readonly RegisteredCompensation[],
  compensation: Compensation,
  change: (each: RegisteredCompensation) => RegisteredCompensation,
): RegisteredCompensation[] {
  const copy = [...compensations];
  for (let index = copy.length - 1; index >= 0; index--) {
    const each = copy[index]!;
    if (!each.done && sameCompensation(each.compensation, compensation)) {
      copy[index] = change(each);
      break;
    }
  }
  return copy;
}

function plus(timestamp: string, ms: number): string {
  return new Date(Date.parse(timestamp) + ms).toISOString();
}
