import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resetCheckpoint } from '../framework/checkpoint-store';
import type { ProjectionRunner } from '../framework/runner';
import { settle, snapshotReadModels, startProjectorTestFixture, type ProjectorTestFixture } from '../testing/fixture';
import type { Position } from '../framework/types';
import { allProjections, notificationsProjection } from './index';

let f: ProjectorTestFixture;
let last: Position;

async function runAll(): Promise<ProjectionRunner[]> {
  const runners = allProjections({ lowStockThreshold: 5 }).map((projection) => f.runner(projection).start());
  await settle(f.es.client, runners);
  return runners;
}

test.before(async () => {
  f = await startProjectorTestFixture();
  await f.shop.addProduct('A', 1000, 10);
  await f.shop.addProduct('B', 250, 3);
  await f.shop.checkout('o1', 'c1', [
    { sku: 'A', quantity: 6, price: 1000 },
    { sku: 'B', quantity: 1, price: 250 },
  ]);
  await f.shop.checkout('o2', 'c1', [{ sku: 'B', quantity: 1, price: 250 }], 'decline');
  last = await f.shop.checkout('o3', 'c2', [{ sku: 'A', quantity: 1, price: 1000 }], 'customer_cancels');
  const runners = await runAll();
  await Promise.all(runners.map((runner) => runner.stop()));
});
test.after(async () => {
  await f.close();
});

test('orders: status, lines, totals, payment state, cancellation reason and a timeline', async () => {
  const rows = await f.db.knex('orders').orderBy('order_id');
  assert.equal(
    rows.map((row) => [
      row.order_id,
      row.customer_id,
      row.status,
      row.total_amount,
      row.currency,
      row.payment_status,
      row.cancellation_reason,
    ]),
    [
      ['o1', 'c1', 'confirmed', 6250, 'EUR', 'captured', null],
      ['o2', 'c1', 'cancelled', 250, 'EUR', 'declined', 'payment_declined'],
      ['o3', 'c2', 'cancelled', 1000, 'EUR', 'pending', 'customer_request'],
    ],
  );
  const o1 = rows[0];
  assert.equal(o1.lines, [
    { sku: 'A', quantity: 6, unitPrice: { amount: 1000, currency: 'EUR' } },
    { sku: 'B', quantity: 1, unitPrice: { amount: 250, currency: 'EUR' } },
  ]);
  assert.equal(
    o1.timeline.map((entry: { type: string; stream: string }) => `${entry.stream}:${entry.type}`),
    ['order:OrderPlaced', 'payment:PaymentAuthorized', 'payment:PaymentCaptured', 'order:OrderConfirmed'],
  );
  assert.is(o1.payment_reference, 'ref-o1');
  assert.ok(o1.confirmed_at instanceof Date);
  assert.is(rows[1].payment_decline_reason, 'card_declined');
  assert.ok(rows[2].cancellation_requested_at instanceof Date);
  const mine = await f.db.knex('customer_orders').where({ customer_id: 'c1' }).orderBy('placed_at', 'desc').pluck('order_id');
  assert.equal(mine, ['o2', 'o1'], "a customer's orders, newest first");
});

test('products: on hand, reserved, available, sold and price', async () => {
  const rows = await f.db.knex('products').orderBy('sku').select('sku', 'name', 'price_amount', 'on_hand', 'reserved', 'available', 'sold');
  assert.equal(rows, [
    { sku: 'A', name: 'Product A', price_amount: 1000, on_hand: 4, reserved: 0, available: 4, sold: 6 },
    { sku: 'B', name: 'Product B', price_amount: 250, on_hand: 2, reserved: 0, available: 2, sold: 1 },
  ]);
});

test('checkout progress: every saga step with its time, and where the checkout stands', async () => {
  const rows = await f.db.knex('checkout_progress').orderBy('order_id');
  assert.equal(
    rows.map((row) => [row.order_id, row.status, row.current_step, row.steps.map((step: { type: string }) => step.type)]),
    [
      ['o1', 'completed', 'CheckoutCompleted', ['CheckoutStarted', 'StockReservedForLine', 'StockReservedForLine', 'CheckoutCompleted']],
      ['o2', 'compensated', 'CheckoutCompensated', ['CheckoutStarted', 'StockReservedForLine', 'CheckoutCompensated']],
      ['o3', 'compensated', 'CheckoutCompensated', ['CheckoutStarted', 'StockReservedForLine', 'CheckoutCompensated']],
    ],
  );
  const started = rows[0].steps[0];
  assert.is(started.data.paymentToken, undefined, 'the payment token never reaches a read model');
  assert.is(started.at, rows[0].started_at.toISOString());
});

test('sales: units and revenue per SKU per day, from confirmed orders only', async () => {
  const rows = await f.db
    .knex('sales_daily')
    .orderBy('sku')
    .select(f.db.knex.raw("to_char(day, 'YYYY-MM-DD') as day"), 'sku', 'currency', 'units', 'revenue', 'orders');
  assert.equal(rows, [
    { day: '2026-01-01', sku: 'A', currency: 'EUR', units: 6, revenue: 6000, orders: 1 },
    { day: '2026-01-01', sku: 'B', currency: 'EUR', units: 1, revenue: 250, orders: 1 },
  ]);
});

test('notifications: per user, numbered 1, 2, 3..., each with its outbox message', async () => {
  const rows = await f.db.knex('notifications').orderBy(['audience', 'user_id', 'seq']);
  assert.equal(
    rows.map((row) => [row.audience, row.user_id, row.seq, row.type, row.order_id ?? row.sku]),
    [
      ['admin', '*', 1, 'LowStock', 'A'],
      ['customer', 'c1', 1, 'OrderConfirmed', 'o1'],
      ['customer', 'c1', 2, 'PaymentDeclined', 'o2'],
      ['customer', 'c1', 3, 'OrderCancelled', 'o2'],
      ['customer', 'c2', 1, 'OrderCancelled', 'o3'],
    ],
  );
  assert.equal(rows[3].data, { reason: 'payment_declined' });
  assert.equal(rows[0].data, { available: 4, onHand: 10, reserved: 6, threshold: 5 });
  const outbox = await f.db.knex('notification_outbox').orderBy('id');
  assert.equal(
    outbox.map((row) => [row.subject, row.payload.type, row.payload.seq, row.sent_at]),
    [
      ['admin', 'LowStock', 1, null],
      ['customer.c1', 'OrderConfirmed', 1, null],
      ['customer.c1', 'PaymentDeclined', 2, null],
      ['customer.c1', 'OrderCancelled', 3, null],
      ['customer.c2', 'OrderCancelled', 1, null],
    ],
  );
  assert.equal(outbox[2].payload, {
    id: rows[2].notification_id,
    seq: 2,
    audience: 'customer',
    userId: 'c1',
    type: 'PaymentDeclined',
    orderId: 'o2',
    sku: null,
    at: rows[2].occurred_at.toISOString(),
    data: { reason: 'card_declined' },
  });
});

test('checkpoints: every projection stored the position of what it applied', async () => {
  const rows = await f.db.knex('projection_checkpoints').orderBy('projection');
  assert.equal(
    rows.map((row) => row.projection),
    ['checkout_progress', 'notifications', 'orders', 'products', 'sales'],
  );
  for (const row of rows) {
    assert.ok(BigInt(row.commit_position) <= last.commit, `${row.projection} is not past the log`);
    assert.is(row.failure, null);
  }
  assert.ok(
    rows.some((row) => BigInt(row.commit_position) === last.commit),
    'checkout_progress applied the last event',
  );
});

test('a replay of the same events (checkpoints reset, rows kept) changes nothing', async () => {
  const before = await snapshotReadModels(f.db.knex);
  for (const { name } of allProjections({ lowStockThreshold: 5 })) await resetCheckpoint(f.db.knex, name);
  const runners = await runAll();
  await Promise.all(runners.map((runner) => runner.stop()));
  assert.equal(await snapshotReadModels(f.db.knex), before);
});

test('a rebuild into empty tables without the outbox records the same notifications and sends none', async () => {
  const before = await f.db.knex('notifications').orderBy('notification_id');
  await f.db.knex.raw('truncate notifications, notification_outbox, notification_counters, notification_orders, notification_stock');
  await resetCheckpoint(f.db.knex, 'notifications');
  const runner = f.runner(notificationsProjection({ lowStockThreshold: 5, writeOutbox: false })).start();
  await settle(f.es.client, [runner]);
  await runner.stop();
  assert.equal(await f.db.knex('notifications').orderBy('notification_id'), before, 'same ids, sequence numbers, data');
  assert.equal(await f.db.knex('notification_outbox').count({ n: '*' }).first(), { n: 0 });
});

test('live: a new event reaches its read model within moments', async () => {
  const runners = allProjections({ lowStockThreshold: 5 }).map((projection) => f.runner(projection).start());
  await Promise.all(runners.map((runner) => runner.waitUntil((each) => each.state === 'live')));
  const started = Date.now();
  const position = await f.shop.inventory({ type: 'ReceiveStock', data: { sku: 'B', quantity: 5 } });
  await runners[1]!.waitForPosition(position!);
  const elapsed = Date.now() - started;
  // Pushed by the live subscription, not found by a later poll or batch timeout; the bound is
  // generous so that a busy machine's scheduling cannot fail it.
  assert.ok(elapsed < 5_000, `applied after ${elapsed} ms`);
  const row = await f.db.knex('products').where({ sku: 'B' }).first();
  assert.is(row.on_hand, 7);
  await Promise.all(runners.map((runner) => runner.stop()));
});

test.run();
