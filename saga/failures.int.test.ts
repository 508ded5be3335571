/**
 * Failures that are not business answers: a compensation whose provider call fails transiently is
 * recorded and retried until it succeeds; a step that keeps failing is parked with its reason,
 * counted, and completes once replayed after the cause is fixed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../platform/testing/eventually';
import { SagaFixture } from './testing/fixture';

let fx: SagaFixture;
const settings = {
  paymentDeadlineMs: 600,
  checkoutDeadlineMs: 60_000,
  stepAttempts: 2,
  maxRetryCount: 3,
  retryBackoff: { initialMs: 10, maxMs: 100 },
};

test.before(async () => {
  fx = await SagaFixture.start({ settings });
  await fx.addProduct('MUG', 10);
});
test.after(async () => fx.close());

test('a void that fails transiently (503 ×3) is recorded each time and retried until it succeeds', async () => {
  fx.sandbox.failNext('void', 3);
  await fx.placeOrder('void-retry', [{ sku: 'MUG', quantity: 1 }], 'tok_timeout');
  assert.equal(await fx.waitForOutcome('void-retry'), { type: 'CheckoutCompensated', why: { reason: 'payment_timed_out' } });
  const events = await fx.checkoutEvents('void-retry');
  const failures = events.filter((event) => event.type === 'CompensationFailed');
  assert.equal(
    failures.map((event) => event.type === 'CompensationFailed' && [event.data.compensation.kind, event.data.attempt]),
    [
      ['void_payment', 1],
      ['void_payment', 2],
      ['void_payment', 3],
    ],
  );
  assert.is(fx.sandbox.authorizations.get('void-retry/authorize')?.status, 'voided');
  const compensations = await fx.sagas[0]!.metrics.compensations.get();
  assert.is(
    compensations.values.find((value) => value.labels.compensation === 'void_payment' && value.labels.outcome === 'failed')?.value,
    3,
  );
});

test('a step that keeps failing is parked with its reason, counted, and completes when replayed after the fix', async () => {
  // Deadlines no answer misses however busy the machine is: this path is about the capture failing.
  const patient = await SagaFixture.start({ settings: { ...settings, paymentDeadlineMs: 120_000, checkoutDeadlineMs: 300_000 } });
  try {
    await patient.addProduct('MUG', 10);
    patient.sandbox.failNext('capture', 1_000_000);
    await patient.placeOrder('parked', [{ sku: 'MUG', quantity: 1 }], 'tok_ok');
    const saga = patient.sagas[0]!;
    const parked = await eventually(
      'the step parked',
      async () => {
        const counted = await saga.metrics.parked.get();
        return counted.values.some((value) => value.value > 0) && counted;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(
      parked.values.map((value) => [value.labels.reason, value.value]),
      [['TransientPaymentError', 1]],
    );
    assert.is(patient.outcome('parked'), undefined, 'not finished while parked');
    assert.is((await patient.checkout('parked')).status, 'running');

    patient.sandbox.failNext('capture', 0);
    await saga.replayParked();
    assert.equal(await patient.waitForOutcome('parked', 60_000), { type: 'CheckoutCompleted' });
    assert.is((await patient.order('parked')).status, 'confirmed');
  } finally {
    await patient.close();
  }
});

test.run();
