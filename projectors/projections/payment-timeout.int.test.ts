import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { settle, startProjectorTestFixture, type ProjectorTestFixture } from '../testing/fixture';
import { ordersProjection } from './orders';

let f: ProjectorTestFixture;

test.before(async () => {
  f = await startProjectorTestFixture();
});
test.after(async () => {
  await f.close();
});

test('orders: a payment that timed out shows as timed_out, with the timeout in the timeline', async () => {
  await f.shop.addProduct('A', 1000, 10);
  await f.shop.checkout('o-timeout', 'c1', [{ sku: 'A', quantity: 2, price: 1000 }], 'timeout');
  const runner = f.runner(ordersProjection).start();
  await settle(f.es.client, [runner]);
  await runner.stop();

  const row = await f.db.knex('orders').where({ order_id: 'o-timeout' }).first();
  assert.equal([row.status, row.payment_status, row.cancellation_reason], ['cancelled', 'timed_out', 'payment_timed_out']);
  assert.equal(
    row.timeline.map((entry: { type: string; stream: string }) => `${entry.stream}:${entry.type}`),
    ['order:OrderPlaced', 'payment:PaymentTimedOut', 'order:OrderCancelled'],
  );
  assert.is(Number(row.payment_revision), 0);
});

test.run();
