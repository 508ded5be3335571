/**
 * Crash recovery: the saga runs as a child process (saga/main.ts) and is SIGKILLed at every step
 * boundary, then at random moments (at least 50 kills, two processes at once); after a clean
 * process finishes the work, every checkout has ended confirmed or fully compensated, no payment
 * is captured without a confirmed order, no authorization is left open, no reservation is left
 * behind, and on hand + sold = received for every SKU.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SagaFixture } from './testing';
import { spawnSaga, type SagaChild } from './testing-process';
import { seededRandom } from '../test/support/seeded-random';

let fx: SagaFixture;
const orders: string[] = [];
const skus = ['A', 'B', 'C'];
const received = { A: 400, B: 400, C: 60 };

test.before(async () => {
  fx = await SagaFixture.start({ sagas: 0, persistentTickMs: 100 });
  for (const [sku, stock] of Object.entries(received)) await fx.addProduct(sku, stock);
});
test.after(async () => fx.close());

let checkoutDeadlineMs = 120_000;
const env = () => ({
  EVENTSTORE_URL: fx.es.emulator.url,
  PAYMENT_PROVIDER_URL: fx.sandboxUrl,
  PAYMENT_DEADLINE_MS: '700',
  CHECKOUT_DEADLINE_MS: String(checkoutDeadlineMs),
  SAGA_RETRY_INITIAL_MS: '20',
  SAGA_RETRY_MAX_MS: '300',
});

async function place(orderId: string, lines: { sku: string; quantity: number }[], token: string): Promise<void> {
  orders.push(orderId);
  await fx.placeOrder(orderId, lines, token);
}

async function finishWithCleanProcess(): Promise<void> {
  const clean = await spawnSaga({ ...env(), LOG_LEVEL: process.env.SAGA_TEST_CHILD_LOG ?? 'warn' });
  await clean.ready;
  const started = Date.now();
  try {
    await fx.waitForOutcomes(orders, 45_000);
    if (process.env.SAGA_TEST_TIMING) process.stderr.write(`clean process finished ${orders.length} checkouts in ${Date.now() - started} ms\n`);
  } finally {
    const { code } = await clean.kill('SIGTERM');
    assert.is(code, 0, `clean shutdown:\n${clean.output()}`);
  }
}

const boundaries = [
  ...['reserve_stock', 'authorize_payment', 'capture_payment', 'confirm_order'].flatMap((step) => [`before:${step}`, `after-effect:${step}`, `after-record:${step}`]),
  ...['void_payment', 'release_stock', 'cancel_order'].flatMap((step) => [`before:${step}`, `after-effect:${step}`, `after-record:${step}`]),
];

test(`SIGKILL at each of ${boundaries.length} step boundaries, then restart: every checkout ends consistent`, async () => {
  const started = Date.now();
  for (const [round, point] of boundaries.entries()) {
    await place(`b${round}-ok`, [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 2 }], 'tok_ok');
    await place(`b${round}-decline`, [{ sku: 'A', quantity: 1 }], 'tok_decline');
    await place(`b${round}-timeout`, [{ sku: 'B', quantity: 1 }], 'tok_timeout');
    const child = await spawnSaga({ ...env(), SAGA_CRASH_AT: point });
    const timer = setTimeout(() => void child.kill('SIGTERM'), 8_000);
    const { signal } = await child.exited;
    clearTimeout(timer);
    if (process.env.SAGA_TEST_TIMING) process.stderr.write(`${point} ${Date.now() - started} ms\n`);
    assert.is(signal, 'SIGKILL', `the process should have died at ${point}:\n${child.output()}`);
  }
  await finishWithCleanProcess();
  const outcomes = orders.map((orderId) => fx.outcome(orderId)?.type);
  assert.is(outcomes.filter((type) => type === undefined).length, 0);
  // tok_ok orders confirm (stock is plentiful) and tok_decline ones are declined, unless a crash
  // during the payment call outlived the payment deadline (then they are compensated as timed
  // out, which is right: nobody answered in time); tok_timeout ones always time out
  for (const orderId of orders) {
    const outcome = fx.outcome(orderId);
    const expected = orderId.endsWith('-ok')
      ? outcome?.type === 'CheckoutCompleted' || outcome?.why?.reason === 'payment_timed_out'
      : outcome?.type === 'CheckoutCompensated' &&
        (outcome.why?.reason === 'payment_timed_out' || (orderId.endsWith('-decline') && outcome.why?.reason === 'payment_declined'));
    if (!expected) {
      const history = (await fx.checkoutEvents(orderId)).map((event) => `${event.type} ${JSON.stringify(event.data)}`).join('\n');
      assert.unreachable(`${orderId} ended ${JSON.stringify(outcome)}:\n${history}`);
    }
  }
  assert.ok(orders.filter((orderId) => orderId.endsWith('-ok') && fx.outcome(orderId)?.type === 'CheckoutCompleted').length >= boundaries.length / 2, 'most tok_ok orders complete');
  assert.equal(await fx.invariantViolations(orders, skus, received), []);
});

test('SIGKILL at random moments (≥ 50 kills, two processes at once), then restart: every checkout ends consistent', async () => {
  // Short: while no process runs, checkouts wait; a deadline that fires then is part of what is tested.
  checkoutDeadlineMs = 10_000;
  const tokens = ['tok_ok', 'tok_ok', 'tok_decline', 'tok_timeout', 'tok_flaky'];
  let kills = 0;
  let feeding = true;
  let n = 0;
  const random = seededRandom(42);
  const feeder = (async () => {
    while (feeding) {
      const orderId = `r${n++}`;
      const token = tokens[n % tokens.length]!;
      const lines = n % 3 === 0 ? [{ sku: 'A', quantity: 1 }, { sku: 'C', quantity: 1 }, { sku: 'B', quantity: 1 }] : [{ sku: n % 2 ? 'A' : 'C', quantity: 1 }];
      await place(orderId, lines, token);
      // some customers cancel mid-checkout
      if (n % 7 === 0) setTimeout(() => void fx.requestCancellation(orderId).catch(() => {}), Math.floor(random() * 300));
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
  })();
  const slot = async () => {
    while (kills < 50) {
      const child: SagaChild = await spawnSaga(env());
      // anywhere from the middle of its start to well into its work
      await new Promise((resolve) => setTimeout(resolve, 600 + Math.floor(random() * 1600)));
      await child.kill('SIGKILL');
      kills++;
    }
  };
  const killing = Date.now();
  await Promise.all([slot(), slot()]);
  if (process.env.SAGA_TEST_TIMING) process.stderr.write(`${kills} kills in ${Date.now() - killing} ms, ${orders.length} orders\n`);
  feeding = false;
  await feeder;
  assert.ok(kills >= 50);
  await finishWithCleanProcess();
  assert.equal(await fx.invariantViolations(orders, skus, received), []);
  // C has 60 units: the last check is that it never oversold
  const c = await fx.inventory('C');
  assert.ok(c.onHand >= 0 && c.sold <= 60);
});


test.run();
