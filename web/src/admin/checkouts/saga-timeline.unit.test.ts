import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sagaTimeline, type SagaEvent } from './saga-timeline';

let revision = 0;
const at = (s: number) => `2026-01-01T10:00:${String(s).padStart(2, '0')}.000Z`;
const e = (type: string, s: number, data: Record<string, unknown> = {}): SagaEvent => ({
  type,
  at: at(s),
  revision: revision++,
  data: { orderId: 'o1', ...data },
});

const started = e('CheckoutStarted', 0, { checkoutDeadline: at(30) });

test('a checkout that went through: every step succeeded, nothing to undo', () => {
  const timeline = sagaTimeline([
    started,
    e('StockReservationRequested', 1, { sku: 'MUG', quantity: 2 }),
    e('StockReservedForLine', 2, { sku: 'MUG', quantity: 2 }),
    e('PaymentAuthorizationStarted', 3, { paymentDeadline: at(6) }),
    e('PaymentAuthorizationApproved', 4, { providerReference: 'auth_1' }),
    e('PaymentCaptureStarted', 5),
    e('PaymentCaptureCompleted', 6),
    e('OrderConfirmationRequested', 7),
    e('CheckoutCompleted', 8),
  ]);
  assert.equal(
    timeline.steps.map((s) => [s.title, s.outcome]),
    [
      ['Checkout started', 'succeeded'],
      ['Reserve 2 × MUG', 'succeeded'],
      ['Authorize payment', 'succeeded'],
      ['Capture payment', 'succeeded'],
      ['Confirm order and commit stock', 'succeeded'],
    ],
  );
  assert.equal(timeline.steps[2]!.deadline, { name: 'payment', due: at(6), firedAt: null });
  assert.ok(timeline.steps.every((s) => s.compensation === null));
  assert.equal(timeline.finished, { outcome: 'completed', at: at(8) });
});

test('payment timed out: the deadline fired on the authorization, and each compensation sits beside its step', () => {
  const timeline = sagaTimeline([
    started,
    e('StockReservationRequested', 1, { sku: 'MUG', quantity: 1 }),
    e('StockReservedForLine', 2, { sku: 'MUG', quantity: 1 }),
    e('PaymentAuthorizationStarted', 3, { paymentDeadline: at(6) }),
    e('DeadlineFired', 6, { deadline: 'payment' }),
    e('CheckoutCompensationStarted', 6, { why: { reason: 'payment_timed_out' } }),
    e('CompensationCompleted', 7, { compensation: { kind: 'void_payment' } }),
    e('CompensationFailed', 7, { compensation: { kind: 'release_stock', sku: 'MUG' }, attempt: 1, error: 'HTTP 503' }),
    e('CompensationCompleted', 8, { compensation: { kind: 'release_stock', sku: 'MUG' } }),
  ]);
  const [checkout, reserve, authorize] = timeline.steps;
  assert.equal([authorize!.outcome, authorize!.detail, authorize!.deadline!.firedAt], ['failed', 'payment deadline passed', at(6)]);
  assert.equal(timeline.compensating, { reason: 'payment timed out', startedAt: at(6) });
  assert.equal(authorize!.compensation, { label: 'Void the payment', state: 'done', attempts: 0, lastError: null, at: at(7), note: null });
  assert.equal(reserve!.compensation, {
    label: 'Release stock of MUG',
    state: 'done',
    attempts: 1,
    lastError: 'HTTP 503',
    at: at(8),
    note: null,
  });
  assert.equal([checkout!.compensation!.label, checkout!.compensation!.state], ['Cancel the order', 'pending']);
  assert.is(timeline.finished, null);
});

test('out of stock: the rejected line says how many were left; the reason names the SKU', () => {
  const timeline = sagaTimeline([
    started,
    e('StockReservationRequested', 1, { sku: 'A', quantity: 1 }),
    e('StockReservationRequested', 1, { sku: 'B', quantity: 2 }),
    e('StockReservedForLine', 2, { sku: 'A', quantity: 1 }),
    e('StockReservationRejectedForLine', 2, { sku: 'B', quantity: 2, available: 1 }),
    e('CheckoutCompensationStarted', 3, { why: { reason: 'out_of_stock', sku: 'B' } }),
    e('CompensationCompleted', 4, { compensation: { kind: 'release_stock', sku: 'A' } }),
    e('CompensationCompleted', 4, { compensation: { kind: 'cancel_order' } }),
    e('CheckoutCompensated', 5, { why: { reason: 'out_of_stock', sku: 'B' } }),
  ]);
  const b = timeline.steps.find((s) => s.key === 'reserve:B')!;
  assert.equal([b.outcome, b.detail], ['failed', 'only 1 available']);
  assert.is(timeline.compensating!.reason, 'out of stock (B)');
  assert.equal(timeline.finished, { outcome: 'compensated', at: at(5) });
  assert.is(timeline.steps.find((s) => s.key === 'checkout')!.compensation!.state, 'done');
  assert.is(b.compensation, null, 'a refused reservation reserved nothing: nothing to release');
});

test('a declined payment needs no voiding: once compensated, nothing pending is left beside it', () => {
  const events = [
    started,
    e('PaymentAuthorizationStarted', 1, { paymentDeadline: at(4) }),
    e('PaymentAuthorizationDeclined', 2, { reason: 'card_declined' }),
    e('CheckoutCompensationStarted', 2, { why: { reason: 'payment_declined' } }),
  ];
  assert.is(sagaTimeline(events).steps[1]!.compensation, null);
  assert.is(sagaTimeline(events).steps[0]!.compensation!.state, 'pending');
  const finished = sagaTimeline([...events, e('CheckoutCompensated', 3, { why: { reason: 'payment_declined' } })]);
  assert.is(finished.steps[0]!.compensation, null);
});

test('a declined card and a customer cancellation are told as such', () => {
  const timeline = sagaTimeline([
    started,
    e('PaymentAuthorizationStarted', 1, { paymentDeadline: at(4) }),
    e('CancellationRequested', 2),
    e('PaymentAuthorizationDeclined', 2, { reason: 'card_declined' }),
  ]);
  assert.is(timeline.cancellationRequestedAt, at(2));
  assert.equal(timeline.steps[1]!.detail, 'declined: card_declined');
});

test('events it does not know are skipped, not fatal', () => {
  assert.equal(sagaTimeline([e('SomethingNew', 1)]).steps, []);
});

test.run();
