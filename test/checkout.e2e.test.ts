/**
 * The checkout end to end through the command API: products and orders over HTTP (command-api's
 * app), the saga process in-process, the payment sandbox over HTTP, one emulator.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startCommandApi, type CommandApiFixture } from '../command-api/testing/fixture';
import { SagaFixture } from '../saga/testing/fixture';

let fx: SagaFixture;
let api: CommandApiFixture;
let admin: string;
let alice: string;

test.before(async () => {
  fx = await SagaFixture.start();
  api = await startCommandApi({ emulator: fx.es });
  admin = await api.token('admin-1', 'admin');
  alice = await api.token('alice', 'customer');
  for (const [sku, stock] of [
    ['MUG', 5],
    ['TEE', 1],
  ] as const) {
    assert.is(
      (await api.call('POST', '/products', { token: admin, body: { sku, name: `A ${sku}`, price: { amount: 1250, currency: 'EUR' } } }))
        .status,
      201,
    );
    assert.is((await api.call('POST', `/products/${sku}/stock`, { token: admin, body: { quantity: stock } })).status < 300, true);
  }
});
test.after(async () => {
  await api.close();
  await fx.close();
});

async function place(lines: { sku: string; quantity: number }[], paymentToken: string): Promise<string> {
  const answer = await api.call('POST', '/orders', { token: alice, body: { lines, paymentToken } });
  assert.is(answer.status, 202, JSON.stringify(answer.body));
  return answer.body.orderId as string;
}

test('placed over HTTP → confirmed by the saga', async () => {
  const orderId = await place([{ sku: 'MUG', quantity: 2 }], 'tok_ok');
  assert.equal(await fx.waitForOutcome(orderId), { type: 'CheckoutCompleted' });
  const order = await fx.order(orderId);
  assert.is(order.status, 'confirmed');
  assert.is(order.status !== 'not_placed' && order.total.amount, 2500);
});

test('out of stock → cancelled naming the SKU', async () => {
  const orderId = await place(
    [
      { sku: 'MUG', quantity: 1 },
      { sku: 'TEE', quantity: 2 },
    ],
    'tok_ok',
  );
  assert.equal(await fx.waitForOutcome(orderId), { type: 'CheckoutCompensated', why: { reason: 'out_of_stock', sku: 'TEE' } });
});

test('declined → cancelled as payment_declined', async () => {
  const orderId = await place([{ sku: 'MUG', quantity: 1 }], 'tok_decline');
  assert.equal(await fx.waitForOutcome(orderId), { type: 'CheckoutCompensated', why: { reason: 'payment_declined' } });
});

test('cancelled over HTTP during the payment → voided, released, cancelled (customer request)', async () => {
  const orderId = await place([{ sku: 'TEE', quantity: 1 }], 'tok_timeout');
  for (let i = 0; i < 200 && !fx.sandbox.authorizations.has(`${orderId}/authorize`); i++) await sleep(10);
  const answer = await api.call('POST', `/orders/${orderId}/cancel`, { token: alice });
  assert.is(answer.status, 202, JSON.stringify(answer.body));
  assert.equal(await fx.waitForOutcome(orderId), { type: 'CheckoutCompensated', why: { reason: 'customer_request' } });
  assert.is(fx.sandbox.authorizations.get(`${orderId}/authorize`)?.status, 'voided');
  assert.is((await fx.inventory('TEE')).reservedByOrder.size, 0);
});

test('cancel over HTTP after confirmation → refused (422 order_already_final), the order stays confirmed', async () => {
  const orderId = await place([{ sku: 'MUG', quantity: 1 }], 'tok_ok');
  assert.equal(await fx.waitForOutcome(orderId), { type: 'CheckoutCompleted' });
  const answer = await api.call('POST', `/orders/${orderId}/cancel`, { token: alice });
  assert.is(answer.status, 422);
  assert.is(answer.body.code, 'order_already_final');
  assert.is((await fx.order(orderId)).status, 'confirmed');
});

test.run();
