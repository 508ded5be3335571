import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spec } from '../testing/decider-spec';
import {
  checkoutDecider,
  checkoutStream,
  nextAction,
  readCheckoutEvent,
  type CheckoutCommand,
  type CheckoutEvent,
  type Compensation,
  type StepOutcome,
} from './index';

const orderId = 'o1';
const t0 = '2025-03-01T10:00:00.000Z';
const now = '2025-03-01T10:00:01.000Z';
const late = '2025-03-01T10:00:05.000Z';
const eur = (amount: number) => ({ amount, currency: 'EUR' });
const line = (sku: string, quantity = 1) => ({ sku, quantity, unitPrice: eur(500) });
const lines = [line('A'), line('B', 2), line('C')];
const total = eur(2000);

// Commands
const start = (orderLines = lines): CheckoutCommand => ({
  type: 'StartCheckout',
  data: {
    order: { orderId, customerId: 'c1', lines: orderLines, total, paymentToken: 'tok_ok' },
    paymentDeadlineMs: 2000,
    checkoutDeadlineMs: 30000,
    now: t0,
  },
});
const outcome = (o: StepOutcome, at = now): CheckoutCommand => ({ type: 'RecordStepOutcome', data: { outcome: o, now: at } });
const compensated = (compensation: Compensation, note?: string): CheckoutCommand => ({
  type: 'RecordCompensationOutcome',
  data: { compensation, result: note === undefined ? { ok: true } : { ok: true, note }, now },
});
const compensationFailed = (compensation: Compensation): CheckoutCommand => ({
  type: 'RecordCompensationOutcome',
  data: { compensation, result: { ok: false, error: 'HTTP 503' }, now },
});
const requestCancellation: CheckoutCommand = { type: 'RequestCancellation', data: { now } };
const fire = (deadline: 'payment' | 'checkout', at = late): CheckoutCommand => ({ type: 'FireDeadline', data: { deadline, now: at } });

// Events
const started: CheckoutEvent = {
  type: 'CheckoutStarted',
  data: {
    orderId,
    customerId: 'c1',
    lines,
    total,
    paymentToken: 'tok_ok',
    paymentDeadlineMs: 2000,
    checkoutDeadline: '2025-03-01T10:00:30.000Z',
    startedAt: t0,
  },
};
const release = (sku: string): Compensation => ({ kind: 'release_stock', sku });
const cancelOrder: Compensation = { kind: 'cancel_order' };
const voidPayment: Compensation = { kind: 'void_payment' };
const reserveRequested = (sku: string, quantity = 1, at = now): CheckoutEvent => ({
  type: 'StockReservationRequested',
  data: { orderId, sku, quantity, requestedAt: at },
});
const reservedLine = (sku: string, quantity = 1): CheckoutEvent => ({
  type: 'StockReservedForLine',
  data: { orderId, sku, quantity, reservedAt: now },
});
const authorizationStarted: CheckoutEvent = {
  type: 'PaymentAuthorizationStarted',
  data: { orderId, amount: total, idempotencyKey: 'o1/authorize', paymentDeadline: '2025-03-01T10:00:03.000Z', startedAt: now },
};
const approved: CheckoutEvent = { type: 'PaymentAuthorizationApproved', data: { orderId, providerReference: 'auth_1', approvedAt: now } };
const captureStarted: CheckoutEvent = { type: 'PaymentCaptureStarted', data: { orderId, idempotencyKey: 'o1/capture', startedAt: now } };
const captured: CheckoutEvent = { type: 'PaymentCaptureCompleted', data: { orderId, capturedAt: now } };
const confirmationRequested: CheckoutEvent = { type: 'OrderConfirmationRequested', data: { orderId, requestedAt: now } };
const compensationStarted = (
  why: Extract<CheckoutEvent, { type: 'CheckoutCompensationStarted' }>['data']['why'],
  at = now,
): CheckoutEvent => ({
  type: 'CheckoutCompensationStarted',
  data: { orderId, why, startedAt: at },
});
const compensationCompleted = (compensation: Compensation): CheckoutEvent => ({
  type: 'CompensationCompleted',
  data: { orderId, compensation, completedAt: now },
});
const cancellationRequested: CheckoutEvent = { type: 'CancellationRequested', data: { orderId, requestedAt: now } };

const beginning = [started];
const allReserved = [
  ...beginning,
  reserveRequested('A', 1, t0),
  reservedLine('A'),
  reserveRequested('B', 2),
  reservedLine('B', 2),
  reserveRequested('C'),
  reservedLine('C'),
];
const authorizing = [...allReserved, authorizationStarted];
const capturing = [...authorizing, approved, captureStarted];
const confirming = [...capturing, captured, confirmationRequested];

const given = spec(checkoutDecider).given;
const stateAfter = (events: CheckoutEvent[]) => events.reduce(checkoutDecider.evolve, checkoutDecider.initialState());

// The happy path, one step at a time
test('starting registers the order cancellation, schedules the checkout deadline, and requests the first line', () =>
  given([])
    .when(start())
    .then([...beginning, reserveRequested('A', 1, t0)]));
test('starting twice does nothing (OrderPlaced delivered again)', () => given(beginning).when(start()).thenNothing());
test('a reserved line requests the next one, registering its release first', () =>
  given([...beginning, reserveRequested('A', 1, t0)])
    .when(outcome({ step: 'reserve_stock', sku: 'A', result: 'reserved' }))
    .then([reservedLine('A'), reserveRequested('B', 2)]));
test('the last reserved line starts the authorization: void registered, payment deadline scheduled', () =>
  given(allReserved.slice(0, -1))
    .when(outcome({ step: 'reserve_stock', sku: 'C', result: 'reserved' }))
    .then([reservedLine('C'), authorizationStarted]));
test('an approval starts the capture, refund registered first', () =>
  given(authorizing)
    .when(outcome({ step: 'authorize_payment', result: 'approved', providerReference: 'auth_1' }))
    .then([approved, captureStarted]));
test('a capture requests the confirmation', () =>
  given(capturing)
    .when(outcome({ step: 'capture_payment', result: 'captured' }))
    .then([captured, confirmationRequested]));
test('a confirmation completes the checkout', () =>
  given(confirming)
    .when(outcome({ step: 'confirm_order', result: 'confirmed' }))
    .then([{ type: 'CheckoutCompleted', data: { orderId, completedAt: now } }]));
test('an answer delivered again is recorded once', () =>
  given([...authorizing, approved, captureStarted])
    .when(outcome({ step: 'authorize_payment', result: 'approved', providerReference: 'auth_1' }))
    .thenNothing());
test('an answer for another line than the one under way is ignored', () =>
  given(allReserved.slice(0, -1))
    .when(outcome({ step: 'reserve_stock', sku: 'A', result: 'reserved' }))
    .thenNothing());

// Out of stock: 3 lines, the 2nd rejected → the 1st released, the 3rd never reserved
const secondRejected = [...beginning, reserveRequested('A', 1, t0), reservedLine('A'), reserveRequested('B', 2)];
const rejectedB: CheckoutEvent = {
  type: 'StockReservationRejectedForLine',
  data: { orderId, sku: 'B', quantity: 2, available: 1, rejectedAt: now },
};
test('a rejected line starts compensating, naming the SKU', () =>
  given(secondRejected)
    .when(outcome({ step: 'reserve_stock', sku: 'B', result: 'rejected', available: 1 }))
    .then([rejectedB, compensationStarted({ reason: 'out_of_stock', sku: 'B' })]));
test('then releases the lines reserved before it (not the rejected one), then cancels the order', () => {
  const state = stateAfter([...secondRejected, rejectedB, compensationStarted({ reason: 'out_of_stock', sku: 'B' })]);
  assert.equal(nextAction(state), {
    kind: 'compensate',
    compensation: release('A'),
    failures: 0,
    why: { reason: 'out_of_stock', sku: 'B' },
  });
  assert.equal(
    nextAction(
      stateAfter([
        ...secondRejected,
        rejectedB,
        compensationStarted({ reason: 'out_of_stock', sku: 'B' }),
        compensationCompleted(release('A')),
      ]),
    ).kind,
    'compensate',
  );
});
test('the last compensation completes the checkout as compensated', () =>
  given([...secondRejected, rejectedB, compensationStarted({ reason: 'out_of_stock', sku: 'B' }), compensationCompleted(release('A'))])
    .when(compensated(cancelOrder))
    .then([
      compensationCompleted(cancelOrder),
      { type: 'CheckoutCompensated', data: { orderId, why: { reason: 'out_of_stock', sku: 'B' }, compensatedAt: now } },
    ]));
test('compensations run only in reverse order: cancelling the order before releasing stock is refused', () =>
  given([...secondRejected, rejectedB, compensationStarted({ reason: 'out_of_stock', sku: 'B' })])
    .when(compensated(cancelOrder))
    .thenNothing());

// Payment declined → release all stock, cancel
const declined: CheckoutEvent = { type: 'PaymentAuthorizationDeclined', data: { orderId, reason: 'card_declined', declinedAt: now } };
test('a decline compensates as payment_declined', () =>
  given(authorizing)
    .when(outcome({ step: 'authorize_payment', result: 'declined', reason: 'card_declined' }))
    .then([declined, compensationStarted({ reason: 'payment_declined' })]));
test('after a decline there is nothing to void: release C, B, A, then cancel', () => {
  let events = [...authorizing, declined, compensationStarted({ reason: 'payment_declined' })];
  const order: string[] = [];
  for (let next = nextAction(stateAfter(events)); next.kind === 'compensate'; next = nextAction(stateAfter(events))) {
    order.push(next.compensation.kind === 'release_stock' ? `release ${next.compensation.sku}` : next.compensation.kind);
    events = [...events, ...checkoutDecider.decide(compensated(next.compensation), stateAfter(events))];
  }
  assert.equal(order, ['release C', 'release B', 'release A', 'cancel_order']);
  assert.is(events.at(-1)?.type, 'CheckoutCompensated');
});

// Payment timed out → void what may have been authorized, release stock, cancel
test('the payment deadline fires while the authorization is unanswered', () =>
  given(authorizing)
    .when(fire('payment'))
    .then([
      { type: 'DeadlineFired', data: { orderId, deadline: 'payment', firedAt: late } },
      compensationStarted({ reason: 'payment_timed_out' }, late),
    ]));
test('then voids first (the authorization under way is abandoned), then releases, then cancels', () => {
  const state = stateAfter([
    ...authorizing,
    { type: 'DeadlineFired', data: { orderId, deadline: 'payment', firedAt: late } },
    compensationStarted({ reason: 'payment_timed_out' }),
  ]);
  assert.equal(nextAction(state), { kind: 'compensate', compensation: voidPayment, failures: 0, why: { reason: 'payment_timed_out' } });
});
test('the payment deadline does not fire before it is due', () => given(authorizing).when(fire('payment', now)).thenNothing());
test('the payment deadline does not fire once the payment answered', () => given(capturing).when(fire('payment')).thenNothing());
test('a deadline fires once (two processes race, one wins)', () =>
  given([
    ...authorizing,
    { type: 'DeadlineFired', data: { orderId, deadline: 'payment', firedAt: late } },
    compensationStarted({ reason: 'payment_timed_out' }),
  ])
    .when(fire('payment'))
    .thenNothing());
test('a late approval after the timeout is recorded but does not go forward', () =>
  given([
    ...authorizing,
    { type: 'DeadlineFired', data: { orderId, deadline: 'payment', firedAt: late } },
    compensationStarted({ reason: 'payment_timed_out' }),
  ])
    .when(outcome({ step: 'authorize_payment', result: 'approved', providerReference: 'auth_1' }))
    .then([approved]));
test('the checkout deadline fires while the checkout is stuck before confirmation', () =>
  given(capturing)
    .when(fire('checkout', '2025-03-01T10:00:31.000Z'))
    .then([
      { type: 'DeadlineFired', data: { orderId, deadline: 'checkout', firedAt: '2025-03-01T10:00:31.000Z' } },
      compensationStarted({ reason: 'payment_timed_out' }, '2025-03-01T10:00:31.000Z'),
    ]));
test('the checkout deadline does not fire during the confirmation', () =>
  given(confirming).when(fire('checkout', '2025-03-01T10:00:31.000Z')).thenNothing());

// The customer cancels mid-checkout
test('a cancellation during the payment stops forward steps', () =>
  given(authorizing)
    .when(requestCancellation)
    .then([cancellationRequested, compensationStarted({ reason: 'customer_request' })]));
test('after a captured payment, a cancellation refunds, voids, releases, cancels', () => {
  let events = [
    ...confirming.slice(0, -2),
    captured,
    ...checkoutDecider.decide(requestCancellation, stateAfter([...confirming.slice(0, -2), captured])),
  ];
  // the capture was answered, the confirmation not yet requested (no step under way)
  const order: string[] = [];
  for (let next = nextAction(stateAfter(events)); next.kind === 'compensate'; next = nextAction(stateAfter(events))) {
    order.push(next.compensation.kind === 'release_stock' ? `release ${next.compensation.sku}` : next.compensation.kind);
    events = [...events, ...checkoutDecider.decide(compensated(next.compensation), stateAfter(events))];
  }
  assert.equal(order, ['refund_payment', 'void_payment', 'release C', 'release B', 'release A', 'cancel_order']);
});
test('a cancellation while a line is being reserved lets that reservation finish first (so it is released)', () => {
  const events = [...secondRejected, cancellationRequested, compensationStarted({ reason: 'customer_request' })];
  assert.equal(nextAction(stateAfter(events)), { kind: 'step', step: { kind: 'reserve_stock', sku: 'B', quantity: 2 } });
  given(events)
    .when(outcome({ step: 'reserve_stock', sku: 'B', result: 'reserved' }))
    .then([reservedLine('B', 2)]);
});
test('a cancellation during the confirmation is left to the order, which refuses to confirm', () =>
  given(confirming).when(requestCancellation).then([cancellationRequested]));
test('the refused confirmation compensates as customer_request', () =>
  given([...confirming, cancellationRequested])
    .when(outcome({ step: 'confirm_order', result: 'refused', code: 'cancellation_requested' }))
    .then([
      { type: 'OrderConfirmationRefused', data: { orderId, code: 'cancellation_requested', refusedAt: now } },
      compensationStarted({ reason: 'customer_request' }),
    ]));
test('a cancellation after confirmation changes nothing', () =>
  given([...confirming, { type: 'CheckoutCompleted', data: { orderId, completedAt: now } }])
    .when(requestCancellation)
    .thenNothing());
test('a cancellation delivered twice is recorded once', () =>
  given([...authorizing, cancellationRequested, compensationStarted({ reason: 'customer_request' })])
    .when(requestCancellation)
    .thenNothing());
test('a cancellation while compensating for another reason keeps that reason', () =>
  given([...secondRejected, rejectedB, compensationStarted({ reason: 'out_of_stock', sku: 'B' })])
    .when(requestCancellation)
    .then([cancellationRequested]));

// Compensations that fail transiently are retried, never dropped
test('a failed compensation is recorded with its attempt and stays next', () => {
  const events = [...authorizing, declined, compensationStarted({ reason: 'payment_declined' })];
  given(events)
    .when(compensationFailed(release('C')))
    .then([{ type: 'CompensationFailed', data: { orderId, compensation: release('C'), attempt: 1, error: 'HTTP 503', failedAt: now } }]);
  const after = stateAfter([
    ...events,
    { type: 'CompensationFailed', data: { orderId, compensation: release('C'), attempt: 1, error: 'HTTP 503', failedAt: now } },
  ]);
  assert.equal(nextAction(after), { kind: 'compensate', compensation: release('C'), failures: 1, why: { reason: 'payment_declined' } });
});

// What to do next
test('nothing to do before the start and after the end', () => {
  assert.equal(nextAction(checkoutDecider.initialState()), { kind: 'none' });
  assert.equal(nextAction(stateAfter([...confirming, { type: 'CheckoutCompleted', data: { orderId, completedAt: now } }])), {
    kind: 'none',
  });
});
test('the step under way is what to do while running', () =>
  assert.equal(nextAction(stateAfter(capturing)), { kind: 'step', step: { kind: 'capture_payment' } }));

// Stored events
test('names the stream after the order', () => assert.is(checkoutStream(orderId), 'checkout-o1'));
test('reads a stored event', () =>
  assert.equal(
    readCheckoutEvent({ type: 'PaymentAuthorizationStarted', data: authorizationStarted.data, schemaVersion: 1 }),
    authorizationStarted,
  ));

test.run();
