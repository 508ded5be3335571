/**
 * Projections run together (runTogether, as the projector service runs them): one subscription,
 * one transaction per batch, and each projection still its own when it fails or stands at a
 * checkpoint of its own.
 */
import { jsonEvent } from '@eventstore/db-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allProjections } from '../projections';
import { lastPositionIn, settle, snapshotReadModels, withProjectorFixture, type ProjectorTestFixture } from '../testing/fixture';
import { resetCheckpoint } from './checkpoint-store';

interface CheckpointRow {
  projection: string;
  commit_position: string;
  events_applied: string | number;
  /** The transaction that last wrote the row. */
  xmin: string;
}

const checkpoints = async (f: ProjectorTestFixture) =>
  (await f.db
    .knex('projection_checkpoints')
    .orderBy('projection')
    .select('projection', 'commit_position', 'events_applied', f.db.knex.raw('xmin::text as xmin'))) as CheckpointRow[];

test('a group commits every projection of a batch in one transaction: the checkpoints move together', async () => {
  await withProjectorFixture(async (f) => {
    const runners = f.group(allProjections({ lowStockThreshold: 5 }));
    for (const runner of runners) runner.start();
    await Promise.all(runners.map((runner) => runner.waitUntil((each) => each.state === 'live')));
    // Live: a checkout's events, of every stream the projections follow.
    await f.shop.addProduct('MUG', 1299, 10);
    const last = await f.shop.checkout('o-1', 'alice', [{ sku: 'MUG', quantity: 2, price: 1299 }]);
    await Promise.all(runners.map((runner) => runner.waitForPosition(last)));

    const rows = await checkpoints(f);
    assert.is(rows.length, runners.length);
    // One transaction moved them all: the same position, written by the same transaction.
    assert.equal(new Set(rows.map((row) => row.commit_position)).size, 1, 'every checkpoint at the same position');
    assert.equal(new Set(rows.map((row) => row.xmin)).size, 1, 'moved in the same transaction');
    assert.is(
      BigInt(rows[0]!.commit_position),
      (await lastPositionIn(f.es.client, ['order-', 'payment-', 'inventory-', 'checkout-']))!.commit,
    );
    assert.is((await f.db.knex('orders').where({ order_id: 'o-1' }).first()).status, 'confirmed');
    assert.is((await f.db.knex('products').where({ sku: 'MUG' }).first()).sold, 2);
  });
});

test('a projection that cannot apply an event stops alone: the rest of its group goes on', async () => {
  await withProjectorFixture(async (f) => {
    await f.shop.addProduct('A', 500, 3);
    const beforeBad = await lastPositionIn(f.es.client, ['inventory-']);
    await f.es.client.appendToStream(
      'inventory-A',
      jsonEvent({ type: 'StockReceived', data: { sku: 'A', quantity: -1 }, metadata: { schemaVersion: 1 } }),
    );
    const runners = f.group(allProjections({ lowStockThreshold: 5 }));
    for (const runner of runners) runner.start();
    // Both projections that follow the product's stream stop on it, each naming it.
    const failing = runners.filter((runner) => runner.projection.streamPrefixes.includes('inventory-'));
    assert.equal(failing.map((runner) => runner.projection.name).sort(), ['notifications', 'products']);
    for (const runner of failing) {
      await runner.waitUntil((each) => each.state === 'failed').catch(() => undefined);
      assert.is(runner.state, 'failed');
      assert.match(
        runner.failure?.message ?? '',
        `projection ${runner.projection.name} cannot apply StockReceived (schema version 1) at inventory-A@2`,
      );
    }

    // Events after the bad one still reach the others.
    await f.shop.order({
      type: 'PlaceOrder',
      data: {
        orderId: 'o-2',
        customerId: 'bob',
        lines: [{ sku: 'A', quantity: 1, unitPrice: { amount: 500, currency: 'EUR' } }],
        paymentToken: 'tok_ok',
        placedAt: '2026-12-06T10:00:00.000Z',
      },
    });
    const others = runners.filter((runner) => !failing.includes(runner));
    await settle(f.es.client, others);
    assert.ok(
      others.every((runner) => runner.state === 'live'),
      others.map((runner) => `${runner.projection.name} ${runner.state}`).join(', '),
    );
    assert.is((await f.db.knex('orders').where({ order_id: 'o-2' }).first()).status, 'placed');

    const stopped = (await checkpoints(f)).find((row) => row.projection === 'products')!;
    assert.is(BigInt(stopped.commit_position), beforeBad!.commit, 'products stands right before the bad event');
    assert.is((await f.db.knex('products').where({ sku: 'A' }).first()).on_hand, 3);
  });
});

test("an event that contradicts one projection's rows stops that projection alone; its batch is not half applied", async () => {
  await withProjectorFixture(async (f) => {
    await f.shop.addProduct('A', 500, 3);
    const runners = f.group(allProjections({ lowStockThreshold: 5 }));
    for (const runner of runners) runner.start();
    await settle(f.es.client, runners);
    // A payment for an order that was never placed: the orders projection refuses it when applying.
    const bad = await f.shop.payment({
      type: 'AuthorizePayment',
      data: { orderId: 'ghost', amount: 500, currency: 'EUR', providerReference: 'ref-ghost', authorizedAt: '2026-12-06T10:00:00.000Z' },
    });
    await f.shop.addProduct('B', 700, 1);

    const orders = runners.find((runner) => runner.projection.name === 'orders')!;
    await orders.waitUntil((each) => each.state === 'failed').catch(() => undefined);
    assert.is(orders.state, 'failed');
    assert.match(orders.failure?.message ?? '', 'PaymentAuthorized for order ghost, which was never placed');
    const ordersCheckpoint = (await checkpoints(f)).find((row) => row.projection === 'orders')!;
    assert.ok(BigInt(ordersCheckpoint.commit_position) < bad!.commit, 'orders stands before the payment it refused');

    // Projections that do not follow the payment's stream go on, within the same group.
    const unaffected = runners.filter((runner) => !runner.projection.streamPrefixes.includes('payment-'));
    assert.equal(unaffected.map((runner) => runner.projection.name).sort(), ['checkout_progress', 'products', 'sales']);
    await settle(f.es.client, unaffected);
    assert.ok(unaffected.every((runner) => runner.state === 'live'));
    assert.equal(await f.db.knex('products').orderBy('sku').pluck('sku'), ['A', 'B']);
  });
});

test('a group whose projections stand at different checkpoints applies each event once to each', async () => {
  await withProjectorFixture(async (f) => {
    const projections = allProjections({ lowStockThreshold: 5 });
    await f.shop.addProduct('MUG', 1299, 10);
    await f.shop.checkout('o-1', 'alice', [{ sku: 'MUG', quantity: 1, price: 1299 }]);
    const first = f.group(projections);
    for (const runner of first) runner.start();
    await settle(f.es.client, first);
    for (const runner of first) await runner.stop();
    const applied = new Map((await checkpoints(f)).map((row) => [row.projection, Number(row.events_applied)]));

    // Products starts over from the beginning of the log (as after an operator reset it), the
    // others stand where they were; then more happens.
    for (const runner of first) assert.is(runner.state, 'stopped');
    await f.db.knex.transaction(async (trx) => {
      await trx('products').delete();
      await resetCheckpoint(trx, 'products');
    });
    await f.shop.checkout('o-2', 'bob', [{ sku: 'MUG', quantity: 3, price: 1299 }], 'decline');
    const second = f.group(projections);
    for (const runner of second) runner.start();
    await settle(f.es.client, second);

    const after = new Map((await checkpoints(f)).map((row) => [row.projection, Number(row.events_applied)]));
    // The others applied only what is new; had they taken the log again from products' start,
    // every row would have been written twice (and the counters show it).
    const ordersNew = after.get('orders')! - applied.get('orders')!;
    assert.ok(ordersNew > 0 && ordersNew < applied.get('orders')!, `orders applied ${ordersNew} new events`);
    assert.ok(after.get('products')! > applied.get('products')!, 'products applied its whole log again');
    const rebuilt = await snapshotReadModels(f.db.knex);

    // The same rows as one group that ran from scratch.
    for (const runner of second) await runner.stop();
    await f.db.knex.transaction(async (trx) => {
      for (const table of [
        'orders',
        'products',
        'checkout_progress',
        'sales_order_lines',
        'sales_daily',
        'notification_outbox',
        'notifications',
        'notification_counters',
        'notification_orders',
        'notification_stock',
      ])
        await trx(table).delete();
      for (const { name } of projections) await resetCheckpoint(trx, name);
    });
    const fresh = f.group(projections);
    for (const runner of fresh) runner.start();
    await settle(f.es.client, fresh);
    assert.equal(await snapshotReadModels(f.db.knex), rebuilt);
  });
});

test.run();
