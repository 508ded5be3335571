/**
 * Failures that are not business answers: a compensation whose provider call fails transiently is
 * recorded and retried until it succeeds; a step that keeps failing is parked with its reason,
 * counted, and completes once replayed after the cause is fixed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SagaFixture } from './testing';

let fx: SagaFixture;

test.before(async () => {
  fx = await SagaFixture.start({ settings: { paymentDeadlineMs: 600, checkoutDeadlineMs: 60_000, stepAttempts: 2, maxRetryCount: 3, retryBackoff: { initialMs: 10, maxMs: 100 } } });
  await fx.addProduct('MUG', 10);
});
test.after(async () => fx.close());

test('a void that fails transiently (503 ×3) is recorded each time and retried until it succeeds', async () => {
  fx.sandbox.failNext('void', 3);
  await fx.placeOrder('void-retry', [{ sku: 'MUG', quantity: 1 }], 'tok_timeout');
  assert.equal(await fx.waitForOutcome('void-retry'), { type: 'CheckoutCompensated', why: { reason: 'payment_timed_out' } });
  const events = await fx.checkoutEvents('void-retry');
  const failures = events.filter((event) => event.type === 'CompensationFailed');
  assert.equal(failures.map((event) => event.type === 'CompensationFailed' && [event.data.compensation.kind, event.data.attempt]), [['void_payment', 1], ['void_payment', 2], ['void_payment', 3]]);
  assert.is(fx.sandbox.authorizations.get('void-retry/authorize')?.status, 'voided');
  const compensations = await fx.sagas[0]!.metrics.compensations.get();
  assert.is(compensations.values.find((value) => value.labels.compensation === 'void_payment' && value.labels.outcome === 'failed')?.value, 3);
});

test('a step that keeps failing is parked with its reason, counted, and completes when replayed after the fix', async () => {
  fx.sandbox.failNext('capture', 1_000_000);
  await fx.placeOrder('parked', [{ sku: 'MUG', quantity: 1 }], 'tok_ok');
  const saga = fx.sagas[0]!;
  for (let i = 0; i < 300; i++) {
    const parked = await saga.metrics.parked.get();
    if (parked.values.some((value) => value.value > 0)) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const parked = await saga.metrics.parked.get();
  assert.equal(parked.values.map((value) => [value.labels.reason, value.value]), [['TransientPaymentError', 1]]);
  assert.is(fx.outcome('parked'), undefined, 'not finished while parked');
  assert.is((await fx.checkout('parked')).status, 'running');

  fx.sandbox.failNext('capture', 0);
  await saga.replayParked();
  assert.equal(await fx.waitForOutcome('parked', 10_000), { type: 'CheckoutCompleted' });
  assert.is((await fx.order('parked')).status, 'confirmed');
});

test.run();
