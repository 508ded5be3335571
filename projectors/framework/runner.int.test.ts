import { jsonEvent } from '@eventstore/db-client';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../../platform/testing/eventually';
import { productsProjection } from '../projections/products';
import { lastPositionIn, settle, withProjectorFixture, type ProjectorTestFixture } from '../testing/fixture';

async function metricValue(f: ProjectorTestFixture, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await f.registry.getSingleMetric(name)?.get();
  return metric?.values.find((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))?.value;
}

async function expectStopsOn(data: unknown, schemaVersion: number, type: string, reason: RegExp): Promise<void> {
  await withProjectorFixture(async (f) => {
    await f.shop.addProduct('A', 500, 0);
    const beforeBad = await lastPositionIn(f.es.client, ['inventory-']);
    await f.es.client.appendToStream('inventory-A', [
      jsonEvent({ type, data: data as never, metadata: { schemaVersion } }),
      // A good event after the bad one (the decider could not even load the stream now).
      jsonEvent({ type: 'StockReceived', data: { sku: 'A', quantity: 3 }, metadata: { schemaVersion: 1 } }),
    ]);

    const runner = f.runner(productsProjection).start();
    await runner.waitUntil((each) => each.state === 'failed').catch(() => undefined);
    assert.is(runner.state, 'failed');
    const message = runner.failure?.message ?? '';
    assert.match(message, `projection products cannot apply ${type} (schema version ${schemaVersion}) at inventory-A@1`);
    assert.match(message, reason);

    // Everything before the bad event is applied, nothing after it.
    const checkpoint = await f.db.knex('projection_checkpoints').where({ projection: 'products' }).first();
    assert.is(BigInt(checkpoint.commit_position), beforeBad!.commit);
    assert.is(checkpoint.failure, message);
    const row = await f.db.knex('products').where({ sku: 'A' }).first();
    assert.is(row.on_hand, 0);
    assert.is(await metricValue(f, 'projector_failed', { projection: 'products' }), 1);
    assert.is(await metricValue(f, 'projector_errors_total', { projection: 'products', kind: 'fatal' }), 1);
  });
}

test('an event with a bad payload stops the projection, naming the event; nothing after it is applied', async () => {
  await expectStopsOn({ sku: 'A', quantity: -1 }, 1, 'StockReceived', /invalid data/);
});

test('an event of an unknown schema version stops the projection', async () => {
  await expectStopsOn({ sku: 'A', quantity: 1 }, 99, 'StockReceived', /written by a newer release/);
});

test('an unknown event type in a followed stream stops the projection', async () => {
  await expectStopsOn({ sku: 'A' }, 1, 'StockTeleported', /unknown event type 'StockTeleported'/);
});

test('a U+0000 an earlier release let into an event shows as U+FFFD; the projection goes on', async () => {
  await withProjectorFixture(async (f) => {
    // Written as a release without the command's rule did: PostgreSQL text cannot hold it.
    await f.es.client.appendToStream(
      'inventory-NUL',
      jsonEvent({
        type: 'ProductRegistered',
        data: { sku: 'NUL', name: 'Mug\u0000 blue', price: { amount: 100, currency: 'EUR' } },
        metadata: { schemaVersion: 1 },
      }),
    );
    await f.shop.addProduct('B', 500, 2);
    const runner = f.runner(productsProjection).start();
    await settle(f.es.client, [runner]);
    assert.is(runner.state, 'live');
    assert.equal(await f.db.knex('products').orderBy('sku').select('sku', 'name'), [
      { sku: 'B', name: 'Product B' },
      { sku: 'NUL', name: 'Mug\uFFFD blue' },
    ]);
  });
});

test('stock past 2^31 − 1 units is projected exactly', async () => {
  await withProjectorFixture(async (f) => {
    await f.shop.addProduct('SCREW', 1, 3_000_000_000);
    const runner = f.runner(productsProjection).start();
    await settle(f.es.client, [runner]);
    assert.is(runner.state, 'live');
    assert.equal(await f.db.knex('products').where({ sku: 'SCREW' }).first('on_hand', 'available'), {
      on_hand: 3_000_000_000,
      available: 3_000_000_000,
    });
  });
});

test('system records and other streams pass by: stream metadata, tombstones, foreign events', async () => {
  await withProjectorFixture(async (f) => {
    await f.shop.addProduct('A', 500, 2);
    await f.es.client.setStreamMetadata('inventory-A', { maxAge: 1_000_000 });
    await f.es.client.appendToStream('other-1', jsonEvent({ type: 'SomethingElse', data: {} }));
    await f.es.client.appendToStream(
      'inventory-gone',
      jsonEvent({
        type: 'ProductRegistered',
        data: { sku: 'gone', name: 'Gone', price: { amount: 1, currency: 'EUR' } },
        metadata: { schemaVersion: 1 },
      }),
    );
    await f.es.client.tombstoneStream('inventory-gone');
    await f.shop.inventory({ type: 'ReceiveStock', data: { sku: 'A', quantity: 3 } });
    const runner = f.runner(productsProjection).start();
    await settle(f.es.client, [runner]);
    assert.is(runner.state, 'live');
    assert.equal(await f.db.knex('products').orderBy('sku').pluck('on_hand'), [5, 0]);
  });
});

test('catching up, events are applied in big batches; live, each commits within milliseconds', async () => {
  await withProjectorFixture(async (f) => {
    await f.shop.addProduct('A', 500, 0);
    for (let i = 0; i < 60; i++) {
      await f.es.client.appendToStream(
        'inventory-A',
        Array.from({ length: 20 }, () =>
          jsonEvent({ type: 'StockReceived', data: { sku: 'A', quantity: 1 }, metadata: { schemaVersion: 1 } }),
        ),
      );
    }
    // A catch-up linger longer than any stall of a busy machine, so that only `maxEvents` and the
    // caught-up marker cut batches; were it used live, every lone event would wait it out.
    const runner = f.runner(productsProjection, { batch: { maxEvents: 500, lingerMs: 5, catchUpLingerMs: 60_000 } }).start();
    await settle(f.es.client, [runner]);
    const batches = (await f.registry.getSingleMetric('projector_batch_events')?.get())?.values.find(
      (value) => (value as { metricName?: string }).metricName === 'projector_batch_events_count',
    )?.value;
    // 500 + 500 + 201. One transaction per event (or per append) would be 1201 (or 61).
    assert.is(batches, 3, `1201 events in ${batches} transactions`);
    assert.is((await f.db.knex('products').where({ sku: 'A' }).first()).on_hand, 1200);
    if (process.env.SHOW_FIGURES) console.log(`catch-up: 1201 events in ${batches} transactions`);

    await runner.waitUntil((each) => each.state === 'live');
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const written = await f.es.client.appendToStream(
        'inventory-A',
        jsonEvent({ type: 'StockReceived', data: { sku: 'A', quantity: 1 }, metadata: { schemaVersion: 1 } }),
      );
      const started = performance.now();
      await runner.waitForPosition(written.position!);
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    if (process.env.SHOW_FIGURES)
      console.log(`live: append → committed, median ${latencies[5]!.toFixed(1)} ms, max ${latencies[9]!.toFixed(1)} ms`);
    // Far below the catch-up linger: live, a lone event does not wait for company.
    assert.ok(latencies[9]! < 10_000, `live events commit without waiting out the catch-up linger (max ${latencies[9]} ms)`);
  });
});

test('only one instance writes: a second one waits for the lock, then takes over where the first stopped', async () => {
  await withProjectorFixture(async (f) => {
    await f.shop.addProduct('A', 500, 1);
    const first = f.runner(productsProjection).start();
    await settle(f.es.client, [first]);
    const second = f.runner(productsProjection, { client: f.es.newClient() }).start();
    await eventually('the second instance to wait in pg_advisory_lock', async () => {
      const { rows } = (await f.db.knex.raw(
        `select 1 from pg_locks where locktype = 'advisory' and not granted and objsubid = 1 and objid = ((hashtext(?)::bigint & 4294967295)::text)::oid`,
        [`projector:${f.db.schema}:products`],
      )) as { rows: unknown[] };
      return rows.length === 1;
    });
    assert.is(second.state, 'waiting_for_lock');

    await f.shop.inventory({ type: 'ReceiveStock', data: { sku: 'A', quantity: 1 } });
    await settle(f.es.client, [first]);
    await first.stop();
    await f.shop.inventory({ type: 'ReceiveStock', data: { sku: 'A', quantity: 1 } });
    await settle(f.es.client, [second]);
    assert.is((await f.db.knex('products').where({ sku: 'A' }).first()).on_hand, 3);
    const checkpoint = await f.db.knex('projection_checkpoints').where({ projection: 'products' }).first();
    assert.is(checkpoint.events_applied, 4, 'each event applied once');
  });
});

test('losing the lock (its connection killed) makes the runner start over from its checkpoint; nothing is applied twice', async () => {
  await withProjectorFixture(async (f) => {
    await f.shop.addProduct('A', 500, 1);
    const runner = f.runner(productsProjection).start();
    await settle(f.es.client, [runner]);
    const { rows } = (await f.db.knex.raw(
      `select pg_terminate_backend(pid) from pg_locks
        where locktype = 'advisory' and objsubid = 1 and objid = ((hashtext(?)::bigint & 4294967295)::text)::oid`,
      [`projector:${f.db.schema}:products`],
    )) as { rows: unknown[] };
    assert.is(rows.length, 1, 'the lock was found and its session ended');
    await runner.waitUntil((each) => each.state === 'retrying' || each.state === 'waiting_for_lock' || each.state === 'catching_up');
    for (let i = 0; i < 5; i++) await f.shop.inventory({ type: 'ReceiveStock', data: { sku: 'A', quantity: 1 } });
    await settle(f.es.client, [runner]);
    assert.is(runner.state, 'live');
    assert.is((await f.db.knex('products').where({ sku: 'A' }).first()).on_hand, 6);
    const checkpoint = await f.db.knex('projection_checkpoints').where({ projection: 'products' }).first();
    assert.is(checkpoint.events_applied, 7, 'each event applied once');
    assert.ok((await metricValue(f, 'projector_errors_total', { projection: 'products', kind: 'transient' }))! >= 1);
  });
});

test('a long-running runner lets go of the batches it applied: memory does not grow with the log', async () => {
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;
  await withProjectorFixture(async (f) => {
    await f.shop.addProduct('A', 500, 1);
    let firstBatch: WeakRef<object> | undefined;
    const watched = {
      ...productsProjection,
      apply: async (...args: Parameters<typeof productsProjection.apply>) => {
        firstBatch ??= new WeakRef(args[1][0]!.position);
        return productsProjection.apply(...args);
      },
    };
    const runner = f.runner(watched).start();
    await settle(f.es.client, [runner]);
    for (let i = 0; i < 20; i++) await f.shop.inventory({ type: 'ReceiveStock', data: { sku: 'A', quantity: 1 } });
    await settle(f.es.client, [runner]);
    assert.is((await f.db.knex('products').where({ sku: 'A' }).first()).on_hand, 21);
    for (let i = 0; i < 10 && firstBatch?.deref(); i++) {
      await sleep(10); // a WeakRef holds its target until the job ends
      collectGarbage();
    }
    assert.ok(firstBatch, 'the first batch was applied');
    assert.is(firstBatch.deref(), undefined, 'the first batch is still reachable from the runner');
  });
});

test('the lag metrics count the events not yet applied and how far behind in seconds', async () => {
  await withProjectorFixture(async (f) => {
    await f.shop.addProduct('A', 500, 1);
    const runner = f.runner(productsProjection);
    let lag = (await f.metrics.lags()).get('products');
    assert.equal(lag?.events, 2);
    runner.start();
    await settle(f.es.client, [runner]);
    // The probe is cached for a second: asked again until it is read afresh.
    lag = await eventually('the lag probe to see the projection caught up', async () => {
      const now = (await f.metrics.lags()).get('products');
      return now?.events === 0 ? now : undefined;
    });
    assert.equal(lag, { events: 0, seconds: 0 });
    const text = await f.registry.metrics();
    assert.match(text, 'projector_lag_events{projection="products"} 0');
    assert.match(text, 'projector_lag_seconds{projection="products"} 0');
  });
});

test.run();
