/**
 * Several saga processes share the work (competing consumers on one persistent subscription
 * group) and never drive one order twice: 500 checkouts with mixed tokens and cancellations, two
 * saga child processes → each order has exactly one outcome, and everything adds up. Then the
 * oversell case: 1,000 one-unit orders at once for a SKU with 100 units.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inventoryCodec, inventoryDecider, inventoryStream } from '../domain';
import { readStreamEvents } from '../platform/eventstore';
import { SagaFixture, type Outcome } from './testing/fixture';
import { spawnSaga } from './testing/saga-process';

async function inBatches<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      for (let i = next++; i < items.length; i = next++) await run(items[i]!);
    }),
  );
}

test('two saga processes, 500 checkouts with mixed tokens: exactly one outcome each', async () => {
  const fx = await SagaFixture.start({ sagas: 0 });
  try {
    const received = { P: 300, Q: 300, R: 40 };
    for (const [sku, stock] of Object.entries(received)) await fx.addProduct(sku, stock);
    const env = {
      EVENTSTORE_URL: fx.es.emulator.url,
      PAYMENT_PROVIDER_URL: fx.sandboxUrl,
      PAYMENT_DEADLINE_MS: '800',
      CHECKOUT_DEADLINE_MS: '30000',
    };
    const processes = await Promise.all([spawnSaga(env), spawnSaga(env)]);
    await Promise.all(processes.map((child) => child.ready));
    const tokens = ['tok_ok', 'tok_ok', 'tok_ok', 'tok_decline', 'tok_timeout', 'tok_flaky'];
    const orders = Array.from({ length: 500 }, (_, i) => `m${i}`);
    await inBatches(orders, 20, async (orderId) => {
      const i = Number(orderId.slice(1));
      const lines =
        i % 4 === 0
          ? [
              { sku: 'P', quantity: 1 },
              { sku: 'R', quantity: 1 },
            ]
          : [{ sku: i % 2 ? 'P' : 'Q', quantity: 1 }];
      await fx.placeOrder(orderId, lines, tokens[i % tokens.length]!);
      if (i % 9 === 0) setTimeout(() => void fx.requestCancellation(orderId).catch(() => {}), 20);
    });
    const outcomes = await fx.waitForOutcomes(orders, 240_000);
    await sleep(300); // a second outcome would show up by now
    await Promise.all(processes.map((child) => child.kill('SIGTERM')));

    assert.equal(
      orders.filter((orderId) => fx.received.get(orderId) !== 1),
      [],
      'each order has exactly one outcome event',
    );
    const count = (predicate: (orderId: string) => boolean) => orders.filter(predicate).length;
    const reason = (orderId: string) => outcomes.get(orderId)?.why?.reason;
    const token = (orderId: string) => tokens[Number(orderId.slice(1)) % tokens.length];
    // What each token may end as. A provider that answers after the 800 ms payment deadline is,
    // rightly, timed out: on a busy machine that may be any order, so every token allows it, as it
    // allows the customer's cancellation and a sold-out SKU.
    const besides = (outcome: Outcome | undefined) =>
      ['customer_request', 'out_of_stock', 'payment_timed_out'].includes(outcome?.why?.reason ?? '');
    const approved = (outcome: Outcome | undefined) => outcome?.type === 'CheckoutCompleted' || besides(outcome);
    const allowed: Record<string, (outcome: Outcome | undefined) => boolean> = {
      tok_ok: approved,
      tok_flaky: approved,
      tok_decline: (outcome) => outcome?.type === 'CheckoutCompensated' && (outcome.why?.reason === 'payment_declined' || besides(outcome)),
      tok_timeout: (outcome) => outcome?.type === 'CheckoutCompensated',
    };
    const unexpected = orders.filter((orderId) => !allowed[token(orderId)!]!(outcomes.get(orderId)));
    assert.equal(
      unexpected.map((orderId) => [orderId, token(orderId), outcomes.get(orderId)]),
      [],
    );
    assert.ok(count((orderId) => outcomes.get(orderId)?.type === 'CheckoutCompleted') > 0, 'some complete');
    assert.ok(count((orderId) => reason(orderId) === 'out_of_stock') > 0, 'R runs out');
    assert.equal(await fx.invariantViolations(orders, Object.keys(received), received), []);
  } finally {
    await fx.close();
  }
});

test('oversell: 1,000 one-unit orders at once for 100 units → exactly 100 sold, 900 cancelled out of stock, stock never below zero', async () => {
  // Deadlines no answer misses however busy the machine is: exactly 100 must sell.
  const fx = await SagaFixture.start({ sagas: 2, settings: { paymentDeadlineMs: 120_000, checkoutDeadlineMs: 600_000, bufferSize: 128 } });
  try {
    await fx.addProduct('HOT', 100);
    const orders = Array.from({ length: 1000 }, (_, i) => `hot${i}`);
    await inBatches(orders, 100, (orderId) => fx.placeOrder(orderId, [{ sku: 'HOT', quantity: 1 }], 'tok_ok', `customer-${orderId}`));
    const outcomes = await fx.waitForOutcomes(orders, 240_000);
    const completed = orders.filter((orderId) => outcomes.get(orderId)?.type === 'CheckoutCompleted');
    const outOfStock = orders.filter(
      (orderId) => outcomes.get(orderId)?.why?.reason === 'out_of_stock' && outcomes.get(orderId)?.why?.sku === 'HOT',
    );
    assert.is(completed.length, 100);
    assert.is(outOfStock.length, 900);
    const stock = await fx.inventory('HOT');
    assert.equal([stock.sold, stock.onHand, stock.reservedByOrder.size], [100, 0, 0]);
    // never below zero at any point of the stream's history
    const { events } = await readStreamEvents(fx.client, inventoryStream('HOT'), { codec: inventoryCodec });
    let state = inventoryDecider.initialState();
    for (const { event } of events) {
      state = inventoryDecider.evolve(state, event);
      if (state.status !== 'registered') continue;
      const reserved = [...state.reservedByOrder.values()].reduce((sum, quantity) => sum + quantity, 0);
      assert.ok(state.onHand - reserved >= 0 && state.onHand >= 0, `available below zero after ${event.type}`);
    }
    assert.equal(await fx.invariantViolations(orders, ['HOT'], { HOT: 100 }), []);
  } finally {
    await fx.close();
  }
});

test.run();
