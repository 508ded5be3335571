/**
 * A rebuild while orders keep flowing: live runners (one group, as the projector service runs
 * them) write the live tables and checkouts are appended throughout. After the swap the read
 * models equal a fresh fold of the log, the live runners go on on the new tables, and a poller
 * reading the live tables the whole time never saw a partial model.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../../platform/testing/eventually';
import { allProjections } from '../projections';
import { settle, snapshotReadModels, startProjectorTestFixture, type ProjectorTestFixture } from '../testing/fixture';
import { rebuild } from './rebuild';
import { comparable, dropShadows, eventsAppliedBy, freshFold, testContext } from '../testing/replay';

let f: ProjectorTestFixture;

test.before(async () => {
  f = await startProjectorTestFixture();
});
test.after(async () => {
  await dropShadows(f);
  await f.close();
});

interface Seen {
  orders: number;
  customerOrders: number;
  products: number;
  checkouts: number;
  notifications: number;
  soldLines: number;
}

test('rebuild --all while checkouts flow: tables equal a fresh fold, no reader saw a partial model', async () => {
  const { shop } = f;
  await shop.addProduct('A', 1000, 1_000_000);
  await shop.addProduct('B', 250, 1_000_000);
  await shop.addProduct('L', 99, 30);
  await shop.addProduct('Z', 500, 0); // never ordered: nothing but the rebuild rewrites its row
  const outcomes = ['confirm', 'confirm', 'decline', 'customer_cancels', 'timeout'] as const;
  let orders = 0;
  const checkout = async () => {
    const n = ++orders;
    const lines = [{ sku: 'A', quantity: 1 + (n % 3), price: 1000 }];
    if (n % 2 === 0) lines.push({ sku: 'B', quantity: 2, price: 250 });
    if (n % 3 === 0) lines.push({ sku: 'L', quantity: 1, price: 99 });
    await shop.checkout(`o${n}`, `c${n % 7}`, lines, outcomes[n % outcomes.length]);
  };
  for (let i = 0; i < 60; i++) await checkout();

  // Live, as the projector service runs them: one group (one transaction per batch for all).
  const runners = f.group(allProjections({ lowStockThreshold: 5 }), { batch: { maxEvents: 20 } });
  for (const runner of runners) runner.start();
  await settle(f.es.client, runners);
  // A hand-made fault in the live model: only a rebuild puts it right.
  await f.db.knex('products').where({ sku: 'Z' }).update({ name: 'tampered' });

  let flowing = true;
  const flow = (async () => {
    while (flowing) await checkout();
  })();

  // The query API's view of things, as often as it can look.
  const problems: string[] = [];
  const visibleOrders = new Set<string>();
  let last: Seen | undefined;
  let looks = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      try {
        const { rows } = (await f.db.knex.raw(`select
            (select count(*)::int from orders) as orders,
            (select count(*)::int from customer_orders) as "customerOrders",
            (select count(*)::int from products) as products,
            (select count(*)::int from checkout_progress) as checkouts,
            (select count(*)::int from notifications) as notifications,
            (select count(*)::int from sales_order_lines) as "soldLines"`)) as { rows: Seen[] };
        const seen = rows[0]!;
        if (seen.orders !== seen.customerOrders)
          problems.push(`customer_orders shows ${seen.customerOrders} orders, orders ${seen.orders}`);
        if (last)
          for (const key of Object.keys(seen) as (keyof Seen)[])
            if (seen[key] < last[key]) problems.push(`${key} went from ${last[key]} down to ${seen[key]}`);
        last = seen;
        const ids = (await f.db.knex('orders').pluck('order_id')) as string[];
        const now = new Set(ids);
        for (const id of visibleOrders) if (!now.has(id)) problems.push(`order ${id} disappeared`);
        for (const id of ids) visibleOrders.add(id);
        looks++;
      } catch (error) {
        problems.push(`a read failed: ${(error as Error).message}`);
      }
    }
  })();

  const context = await testContext(f);
  let result;
  try {
    result = await rebuild(context, {
      projections: allProjections({ lowStockThreshold: 5 }).map(({ name }) => name),
      yes: true,
      batchSize: 25,
    });
  } finally {
    await context.close();
  }
  const swappedWhileFlowing = orders;
  await eventually('a few more checkouts on the new tables', () => orders >= swappedWhileFlowing + 3);
  flowing = false;
  await flow;
  await settle(f.es.client, runners);
  await eventually('the poller to have looked often', () => looks > 20);
  polling = false;
  await poller;

  assert.equal(problems.slice(0, 5), [], 'the poller never saw a partial model');
  assert.ok(looks > 20, `the poller looked ${looks} times`);
  assert.ok(orders > swappedWhileFlowing || orders > 60, 'orders kept flowing through the rebuild');
  assert.equal(result.tables.length, 9);
  assert.equal(result.views, ['customer_orders']);
  assert.ok(
    runners.every((runner) => runner.state === 'live'),
    'the live runners go on after the swap',
  );
  const exists = await f.db.knex.raw('select 1 from pg_namespace where nspname = ?', [`${f.db.schema}_rebuild`]);
  assert.is(exists.rows.length, 0, 'the shadow schema is gone');

  const live = comparable(await snapshotReadModels(f.db.knex));
  const fresh = await freshFold(f.es.client);
  assert.is(live.orders!.length, orders, `all ${orders} orders are there`);
  assert.is(
    (live.products as { sku: string; name: string }[]).find(({ sku }) => sku === 'Z')!.name,
    'Product Z',
    'the rebuild replaced the tampered row',
  );
  for (const table of Object.keys(fresh.snapshot)) assert.equal(live[table], fresh.snapshot[table], `${table} equals a fresh fold`);
  // The checkpoint rows took the rebuild's counts: every event counted once, as in a fresh fold.
  assert.equal(await eventsAppliedBy(f.db.knex), fresh.applied, 'events applied per projection equal a fresh fold');
  if (process.env.SHOW_FIGURES)
    console.log(
      `${orders} orders, ${looks} looks, pause ${result.pauseMs.toFixed(0)} ms, folded ${result.projections.map(({ name, folded }) => `${name}:${folded}`).join(' ')}`,
    );
});

test.run();
