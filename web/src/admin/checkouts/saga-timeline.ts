/**
 * A checkout's saga events (GET /checkouts/:orderId `steps`) as a timeline a person reads: one
 * entry per step (start the checkout, reserve each line, authorize, capture, confirm), each with
 * its outcome, its deadline, and — when the checkout compensates — the compensation that undoes
 * it, beside it. The event types and data are the saga's (domain/checkout/events.ts).
 */
export interface SagaEvent {
  type: string;
  at: string;
  revision: number;
  data: Record<string, unknown>;
}

export type StepOutcome = 'running' | 'succeeded' | 'failed';

export interface Deadline {
  name: 'payment' | 'checkout';
  due: string;
  firedAt: string | null;
}

export interface StepCompensation {
  /** What undoes the step: `Release stock of MUG-1`. */
  label: string;
  state: 'pending' | 'done' | 'failing';
  attempts: number;
  lastError: string | null;
  at: string | null;
  note: string | null;
}

export interface TimelineStep {
  key: string;
  title: string;
  outcome: StepOutcome;
  startedAt: string;
  endedAt: string | null;
  /** Why it failed, or what it found: `declined: card_declined`, `only 1 available`. */
  detail: string | null;
  deadline: Deadline | null;
  compensation: StepCompensation | null;
}

export interface SagaTimeline {
  steps: TimelineStep[];
  /** Set once the checkout gave up: why, and when it started undoing. */
  compensating: { reason: string; startedAt: string } | null;
  cancellationRequestedAt: string | null;
  finished: { outcome: 'completed' | 'compensated'; at: string } | null;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '');

export const reasonText: Record<string, string> = {
  out_of_stock: 'out of stock',
  payment_declined: 'payment declined',
  payment_timed_out: 'payment timed out',
  customer_request: 'cancelled by the customer',
};

function describeReason(why: unknown): string {
  const { reason, sku } = (why ?? {}) as Record<string, unknown>;
  const base = reasonText[text(reason)] ?? text(reason);
  return sku ? `${base} (${text(sku)})` : base;
}

interface CompensationRef {
  kind: string;
  sku?: string;
}

/** Which step a compensation undoes, and how to say it. */
function compensationOf(value: unknown): { stepKey: string; label: string } | null {
  const { kind, sku } = (value ?? {}) as CompensationRef;
  switch (kind) {
    case 'cancel_order':
      return { stepKey: 'checkout', label: 'Cancel the order' };
    case 'release_stock':
      return { stepKey: `reserve:${text(sku)}`, label: `Release stock of ${text(sku)}` };
    case 'void_payment':
      return { stepKey: 'authorize', label: 'Void the payment' };
    case 'refund_payment':
      return { stepKey: 'capture', label: 'Refund the payment' };
    default:
      return null;
  }
}

export function sagaTimeline(events: readonly SagaEvent[]): SagaTimeline {
  const steps = new Map<string, TimelineStep>();
  const timeline: SagaTimeline = { steps: [], compensating: null, cancellationRequestedAt: null, finished: null };

  const start = (key: string, title: string, at: string, deadline: Deadline | null = null) => {
    const step: TimelineStep = { key, title, outcome: 'running', startedAt: at, endedAt: null, detail: null, deadline, compensation: null };
    steps.set(key, step);
    return step;
  };
  const end = (key: string, outcome: StepOutcome, at: string, detail: string | null = null) => {
    const step = steps.get(key);
    if (!step) return;
    step.outcome = outcome;
    step.endedAt = at;
    if (detail) step.detail = detail;
  };
  const compensation = (value: unknown): StepCompensation | null => {
    const ref = compensationOf(value);
    const step = ref && steps.get(ref.stepKey);
    if (!ref || !step) return null;
    step.compensation ??= { label: ref.label, state: 'pending', attempts: 0, lastError: null, at: null, note: null };
    return step.compensation;
  };

  for (const event of events) {
    const d = event.data;
    switch (event.type) {
      case 'CheckoutStarted': {
        const step = start('checkout', 'Checkout started', event.at, { name: 'checkout', due: text(d.checkoutDeadline), firedAt: null });
        step.outcome = 'succeeded';
        break;
      }
      case 'StockReservationRequested':
        start(`reserve:${text(d.sku)}`, `Reserve ${text(d.quantity)} × ${text(d.sku)}`, event.at);
        break;
      case 'StockReservedForLine':
        end(`reserve:${text(d.sku)}`, 'succeeded', event.at);
        break;
      case 'StockReservationRejectedForLine':
        end(`reserve:${text(d.sku)}`, 'failed', event.at, `only ${text(d.available)} available`);
        break;
      case 'PaymentAuthorizationStarted':
        start('authorize', 'Authorize payment', event.at, { name: 'payment', due: text(d.paymentDeadline), firedAt: null });
        break;
      case 'PaymentAuthorizationApproved':
        end('authorize', 'succeeded', event.at, `reference ${text(d.providerReference)}`);
        break;
      case 'PaymentAuthorizationDeclined':
        end('authorize', 'failed', event.at, `declined: ${text(d.reason)}`);
        break;
      case 'PaymentCaptureStarted':
        start('capture', 'Capture payment', event.at);
        break;
      case 'PaymentCaptureCompleted':
        end('capture', 'succeeded', event.at);
        break;
      case 'PaymentCaptureRefused':
        end('capture', 'failed', event.at, `refused: ${text(d.reason)}`);
        break;
      case 'OrderConfirmationRequested':
        start('confirm', 'Confirm order and commit stock', event.at);
        break;
      case 'OrderConfirmationRefused':
        end('confirm', 'failed', event.at, `refused: ${text(d.code)}`);
        break;
      case 'DeadlineFired': {
        const key = d.deadline === 'payment' ? 'authorize' : 'checkout';
        const step = steps.get(key);
        if (step?.deadline) step.deadline.firedAt = event.at;
        // The payment deadline ends a payment that never answered; the checkout's ends whatever runs.
        const running = [...steps.values()].filter((s) => s.outcome === 'running');
        for (const s of d.deadline === 'payment' ? running.filter((s) => s.key === 'authorize') : running)
          end(s.key, 'failed', event.at, `${text(d.deadline)} deadline passed`);
        break;
      }
      case 'CancellationRequested':
        timeline.cancellationRequestedAt = event.at;
        break;
      case 'CheckoutCompensationStarted':
        timeline.compensating = { reason: describeReason(d.why), startedAt: event.at };
        // What a step did is undone from here on: a step that succeeded, or a payment whose
        // deadline passed (the bank may still approve it). A step refused outright did nothing.
        for (const step of steps.values()) {
          if (step.outcome === 'failed' && !step.deadline?.firedAt) continue;
          const undo =
            step.key === 'checkout'
              ? 'cancel_order'
              : step.key.startsWith('reserve:')
                ? 'release_stock'
                : step.key === 'authorize'
                  ? 'void_payment'
                  : step.key === 'capture'
                    ? 'refund_payment'
                    : null;
          if (undo) compensation({ kind: undo, sku: step.key.slice('reserve:'.length) });
        }
        break;
      case 'CompensationCompleted': {
        const c = compensation(d.compensation);
        if (c) Object.assign(c, { state: 'done', at: event.at, note: typeof d.note === 'string' ? d.note : null });
        break;
      }
      case 'CompensationFailed': {
        const c = compensation(d.compensation);
        if (c)
          Object.assign(c, { state: 'failing', attempts: Number(d.attempt) || c.attempts + 1, lastError: text(d.error), at: event.at });
        break;
      }
      case 'CheckoutCompleted':
        end('confirm', 'succeeded', event.at);
        timeline.finished = { outcome: 'completed', at: event.at };
        break;
      case 'CheckoutCompensated':
        timeline.finished = { outcome: 'compensated', at: event.at };
        // What was still pending turned out to need no undoing.
        for (const step of steps.values()) if (step.compensation?.state === 'pending') step.compensation = null;
        break;
      default:
        break;
    }
  }
  timeline.steps = [...steps.values()];
  return timeline;
}
