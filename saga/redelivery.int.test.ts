/**
 * Idempotency: every event delivered twice (once more after it was handled, and once more at the
 * same time) gives the same outcome and the same events, once, as a single delivery.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SagaFixture, fastSettings } from './testing/fixture';

const scenarios: { orderId: string; lines: { sku: string; quantity: number }[]; token: string }[] = [
  {
    orderId: 'happy',
    lines: [
      { sku: 'MUG', quantity: 2 },
      { sku: 'CAP', quantity: 1 },
    ],
    token: 'tok_ok',
  },
  {
    orderId: 'short',
    lines: [
      { sku: 'MUG', quantity: 1 },
      { sku: 'TEE', quantity: 2 },
      { sku: 'CAP', quantity: 1 },
    ],
    token: 'tok_ok',
  },
  { orderId: 'declined', lines: [{ sku: 'CAP', quantity: 1 }], token: 'tok_decline' },
  { orderId: 'timeout', lines: [{ sku: 'MUG', quantity: 1 }], token: 'tok_timeout' },
  { orderId: 'flaky', lines: [{ sku: 'CAP', quantity: 2 }], token: 'tok_flaky' },
];

/**
 * Both runs must end the same way, so no answer may miss its payment deadline however busy the
 * machine is, while the timeout scenario still waits for it: long, but not too long to wait.
 */
const settings = { ...fastSettings, paymentDeadlineMs: 10_000, checkoutDeadlineMs: 300_000 };

async function run(fx: SagaFixture) {
  await fx.addProduct('MUG', 10);
  await fx.addProduct('TEE', 1);
  await fx.addProduct('CAP', 10);
  // one at a time, so the interleaving in shared inventory streams is the same in both runs
  const result: Record<string, unknown> = {};
  for (const { orderId, lines, token } of scenarios) {
    await fx.placeOrder(orderId, lines, token);
    const outcome = await fx.waitForOutcome(orderId, 60_000);
    await sleep(100); // let any duplicate land
    result[orderId] = {
      outcome,
      checkout: (await fx.checkoutEvents(orderId)).map((event) => event.type),
      payment: await fx.paymentEventTypes(orderId),
      provider: fx.sandbox.authorizations.get(`${orderId}/authorize`)?.status ?? null,
      order: (await fx.order(orderId)).status,
    };
  }
  for (const sku of ['MUG', 'TEE', 'CAP']) result[sku] = await fx.inventoryEventTypes(sku);
  result.outcomesRecorded = Object.fromEntries(scenarios.map(({ orderId }) => [orderId, fx.received.get(orderId)]));
  return result;
}

test('every event delivered twice: same outcomes, same events, once', async () => {
  const single = await SagaFixture.start({ settings });
  const once = await run(single).finally(() => single.close());

  let duplicates = 0;
  const double = await SagaFixture.start({
    settings,
    interceptDelivery: (handle) => async (event) => {
      await handle(event);
      duplicates++;
      await Promise.all([handle(event), handle(event)]);
    },
  });
  const twice = await run(double).finally(() => double.close());

  assert.ok(duplicates >= scenarios.length, `events were delivered again (${duplicates})`);
  assert.equal(twice, once);
  assert.equal((once.happy as { outcome: unknown }).outcome, { type: 'CheckoutCompleted' });
  assert.equal(once.outcomesRecorded, { happy: 1, short: 1, declined: 1, timeout: 1, flaky: 1 });
});

test.run();
