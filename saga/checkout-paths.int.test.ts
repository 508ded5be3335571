/**
 * Every checkout path end to end: a real emulator, a real HTTP payment sandbox, the saga
 * in-process. Orders are placed through the order decider, the way the command API does.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../platform/testing/eventually';
import { SagaFixture, fastSettings } from './testing/fixture';

let fx: SagaFixture;

test.before(async () => {
  // A payment deadline that no answer misses however busy the machine is: only the path that is
  // about the deadline waits for one (with a saga of its own).
  fx = await SagaFixture.start({ settings: { ...fastSettings, paymentDeadlineMs: 120_000, checkoutDeadlineMs: 300_000 } });
  await fx.addProduct('MUG', 10);
  await fx.addProduct('TEE', 1);
  await fx.addProduct('CAP', 10);
});
test.after(async () => fx.close());

const received = { MUG: 10, TEE: 1, CAP: 10 };

async function deliveredByType(): Promise<Record<string, number>> {
  const { values } = await fx.sagas[0]!.metrics.eventsHandled.get();
  return Object.fromEntries(values.map(({ labels, value }) => [String(labels.type), value]));
}

test('happy path: reserved, authorized, captured, confirmed, stock committed', async () => {
  const deliveredBefore = await deliveredByType();
  await fx.placeOrder('happy', [
    { sku: 'MUG', quantity: 2 },
    { sku: 'CAP', quantity: 1 },
  ]);
  assert.equal(await fx.waitForOutcome('happy'), { type: 'CheckoutCompleted' });
  assert.is((await fx.order('happy')).status, 'confirmed');
  assert.equal(await fx.paymentEventTypes('happy'), ['PaymentAuthorized', 'PaymentCaptured']);
  assert.is(fx.sandbox.authorizations.get('happy/authorize')?.status, 'captured');
  const mug = await fx.inventory('MUG');
  assert.equal([mug.onHand, mug.sold, mug.reservedByOrder.size], [8, 2, 0]);
  assert.equal(
    (await fx.checkoutEvents('happy')).map((event) => event.type),
    [
      'CheckoutStarted',
      'StockReservationRequested',
      'StockReservedForLine',
      'StockReservationRequested',
      'StockReservedForLine',
      'PaymentAuthorizationStarted',
      'PaymentAuthorizationApproved',
      'PaymentCaptureStarted',
      'PaymentCaptureCompleted',
      'OrderConfirmationRequested',
      'CheckoutCompleted',
    ],
  );
  // The saga is delivered the order, each step's start and each line's reservation; not the
  // payment outcomes recorded with the next start, nor the ends, nor the order's other events.
  const expected = {
    OrderPlaced: 1,
    StockReservationRequested: 2,
    StockReservedForLine: 2,
    PaymentAuthorizationStarted: 1,
    PaymentCaptureStarted: 1,
    OrderConfirmationRequested: 1,
  };
  const deliveredFor = async () => {
    const after = await deliveredByType();
    return Object.fromEntries(
      Object.entries(after)
        .map(([type, count]) => [type, count - (deliveredBefore[type] ?? 0)])
        .filter(([, count]) => count !== 0),
    );
  };
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, count) => sum + count, 0);
  await eventually('the deliveries of the checkout', async () => total(await deliveredFor()) >= total(expected), { timeoutMs: 60_000 });
  await sleep(200); // nothing more arrives
  assert.equal(await deliveredFor(), expected);
});

test('3 lines, the 2nd out of stock: the 1st released, the 3rd never reserved, cancelled naming the SKU', async () => {
  await fx.placeOrder('short', [
    { sku: 'MUG', quantity: 1 },
    { sku: 'TEE', quantity: 2 },
    { sku: 'CAP', quantity: 1 },
  ]);
  assert.equal(await fx.waitForOutcome('short'), { type: 'CheckoutCompensated', why: { reason: 'out_of_stock', sku: 'TEE' } });
  const order = await fx.order('short');
  assert.is(order.status, 'cancelled');
  assert.is(order.status !== 'not_placed' && order.cancellationReason, 'out_of_stock');
  assert.equal(
    (await fx.inventoryEventTypes('MUG')).filter((type) => type.endsWith(':short')),
    ['StockReserved:short', 'StockReleased:short'],
  );
  assert.equal(
    (await fx.inventoryEventTypes('TEE')).filter((type) => type.endsWith(':short')),
    ['StockReservationRejected:short'],
  );
  assert.equal(
    (await fx.inventoryEventTypes('CAP')).filter((type) => type.endsWith(':short')),
    [],
  );
  assert.equal(await fx.paymentEventTypes('short'), []);
  assert.is(fx.sandbox.authorizations.get('short/authorize'), undefined);
});

test('payment declined: all stock released, cancelled as payment_declined', async () => {
  await fx.placeOrder(
    'declined',
    [
      { sku: 'MUG', quantity: 1 },
      { sku: 'CAP', quantity: 2 },
    ],
    'tok_decline',
  );
  assert.equal(await fx.waitForOutcome('declined'), { type: 'CheckoutCompensated', why: { reason: 'payment_declined' } });
  assert.equal(await fx.paymentEventTypes('declined'), ['PaymentDeclined']);
  assert.equal(
    (await fx.inventoryEventTypes('CAP')).filter((type) => type.endsWith(':declined')),
    ['StockReserved:declined', 'StockReleased:declined'],
  );
  const types = (await fx.checkoutEvents('declined')).map((event) => event.type);
  assert.equal(types.slice(types.indexOf('PaymentAuthorizationDeclined')), [
    'PaymentAuthorizationDeclined',
    'CheckoutCompensationStarted',
    'CompensationCompleted',
    'CompensationCompleted',
    'CompensationCompleted',
    'CheckoutCompensated',
  ]);
});

test('payment timed out: the deadline fires, the authorization is voided, stock released, cancelled', async () => {
  // A saga of its own, with the short payment deadline this path is about.
  const hasty = await SagaFixture.start();
  try {
    await hasty.addProduct('MUG', 10);
    const started = Date.now();
    await hasty.placeOrder('timeout', [{ sku: 'MUG', quantity: 1 }], 'tok_timeout');
    assert.equal(await hasty.waitForOutcome('timeout', 60_000), { type: 'CheckoutCompensated', why: { reason: 'payment_timed_out' } });
    assert.ok(Date.now() - started >= 700, 'not before the payment deadline');
    assert.is(hasty.sandbox.authorizations.get('timeout/authorize')?.status, 'voided');
    assert.equal(await hasty.paymentEventTypes('timeout'), ['PaymentTimedOut', 'PaymentVoided']);
    const events = await hasty.checkoutEvents('timeout');
    assert.equal(
      events.filter((event) => event.type === 'DeadlineFired').map((event) => event.type === 'DeadlineFired' && event.data.deadline),
      ['payment'],
    );
    assert.equal(
      (await hasty.inventoryEventTypes('MUG')).filter((type) => type.endsWith(':timeout')),
      ['StockReserved:timeout', 'StockReleased:timeout'],
    );
    assert.equal(await hasty.invariantViolations(['timeout'], ['MUG'], { MUG: 10 }), []);
  } finally {
    await hasty.close();
  }
});

test('flaky provider (503 twice) then approved: completed, authorized once', async () => {
  await fx.placeOrder('flaky', [{ sku: 'CAP', quantity: 1 }], 'tok_flaky');
  assert.equal(await fx.waitForOutcome('flaky'), { type: 'CheckoutCompleted' });
  assert.equal(await fx.paymentEventTypes('flaky'), ['PaymentAuthorized', 'PaymentCaptured']);
  assert.is(fx.sandbox.authorizations.get('flaky/authorize')?.status, 'captured');
});

test('cancel during payment: forward steps stop, the authorization is voided, stock released, cancelled (customer request)', async () => {
  await fx.placeOrder('cancel-mid', [{ sku: 'MUG', quantity: 1 }], 'tok_timeout');
  await eventually('the authorization under way', () => fx.sandbox.authorizations.has('cancel-mid/authorize'), { timeoutMs: 60_000 });
  await fx.requestCancellation('cancel-mid');
  assert.equal(await fx.waitForOutcome('cancel-mid'), { type: 'CheckoutCompensated', why: { reason: 'customer_request' } });
  const order = await fx.order('cancel-mid');
  assert.is(order.status !== 'not_placed' && order.cancellationReason, 'customer_request');
  assert.is(fx.sandbox.authorizations.get('cancel-mid/authorize')?.status, 'voided');
  assert.equal(await fx.paymentEventTypes('cancel-mid'), ['PaymentAuthorized', 'PaymentVoided']);
  const types = (await fx.checkoutEvents('cancel-mid')).map((event) => event.type);
  assert.not.ok(types.includes('PaymentCaptureStarted'));
  assert.not.ok(types.includes('DeadlineFired'));
});

test('cancel after confirmation is rejected by the order; the checkout stays completed', async () => {
  await fx.placeOrder('late-cancel', [{ sku: 'CAP', quantity: 1 }]);
  assert.equal(await fx.waitForOutcome('late-cancel'), { type: 'CheckoutCompleted' });
  try {
    await fx.requestCancellation('late-cancel');
    assert.unreachable('the cancellation should be refused');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'order_already_final');
  }
  await sleep(200);
  assert.is((await fx.order('late-cancel')).status, 'confirmed');
  assert.is(fx.sandbox.authorizations.get('late-cancel/authorize')?.status, 'captured');
});

test('every path leaves consistent stock, payments and orders', async () => {
  const orders = ['happy', 'short', 'declined', 'flaky', 'cancel-mid', 'late-cancel'];
  assert.equal(await fx.invariantViolations(orders, ['MUG', 'TEE', 'CAP'], received), []);
});

test.run();
