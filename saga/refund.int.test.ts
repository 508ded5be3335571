/**
 * The refund path: the customer's cancellation lands after the payment was captured but before
 * the order was confirmed. The saga must refund the capture (not void it), release the stock and
 * cancel the order — and never confirm it.
 *
 * The window between capture and confirmation is a few milliseconds, so the test holds it open:
 * the saga's step-boundary hook fails every attempt to start the confirmation (as a crash right
 * before it would), until the cancellation has been recorded in the checkout. The redelivery
 * then finds the cancellation and compensates.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../platform/testing/eventually';
import { SagaFixture, fastSettings } from './testing/fixture';

let fx: SagaFixture;
let cancellationRecorded = false;
let heldAtCapture = 0;

test.before(async () => {
  fx = await SagaFixture.start({ sagas: 0 });
  // A payment deadline no answer misses however busy the machine is: this path is about a cancellation.
  await fx.startSaga({ ...fastSettings, paymentDeadlineMs: 120_000, checkoutDeadlineMs: 300_000 }, (point) => {
    if (point !== 'before:confirm_order' || cancellationRecorded) return;
    heldAtCapture++;
    throw new Error('held between capture and confirmation (test)');
  });
  await fx.addProduct('MUG', 5);
});
test.after(async () => fx.close());

test('cancellation after capture, before confirmation: refunded, stock released, order cancelled (customer request)', async () => {
  await fx.placeOrder('refund-me', [{ sku: 'MUG', quantity: 2 }]);
  await eventually('the saga at the point between capture and confirmation', () => heldAtCapture > 0, { timeoutMs: 60_000 });
  assert.equal(await fx.paymentEventTypes('refund-me'), ['PaymentAuthorized', 'PaymentCaptured']);

  await fx.requestCancellation('refund-me');
  cancellationRecorded = await eventually(
    'the checkout recording the cancellation',
    async () => (await fx.checkoutEvents('refund-me')).some((event) => event.type === 'CancellationRequested'),
    { timeoutMs: 60_000 },
  );

  assert.equal(await fx.waitForOutcome('refund-me', 60_000), { type: 'CheckoutCompensated', why: { reason: 'customer_request' } });
  const order = await fx.order('refund-me');
  assert.is(order.status, 'cancelled');
  assert.is(order.status !== 'not_placed' && order.cancellationReason, 'customer_request');
  assert.equal(await fx.paymentEventTypes('refund-me'), ['PaymentAuthorized', 'PaymentCaptured', 'PaymentRefunded']);
  assert.is(fx.sandbox.authorizations.get('refund-me/authorize')?.status, 'refunded');
  const mug = await fx.inventory('MUG');
  assert.equal([mug.onHand, mug.sold, mug.reservedByOrder.size], [5, 0, 0], 'the reservation was released, nothing sold');
  const types = (await fx.checkoutEvents('refund-me')).map((event) => event.type);
  // The confirmation was the step under way when the cancellation came; it never reached the order.
  assert.ok(types.includes('OrderConfirmationRequested'));
  assert.not.ok(types.includes('CheckoutCompleted'));
  assert.ok(types.indexOf('CancellationRequested') > types.indexOf('PaymentCaptureCompleted'));
  assert.equal(await fx.invariantViolations(['refund-me'], ['MUG'], { MUG: 5 }), []);
});

test.run();
