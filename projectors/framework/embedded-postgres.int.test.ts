/**
 * The embedded PostgreSQL (PGlite through knex, platform/postgres/embedded.ts) as the projectors
 * use it under `npm start`: the read-model migrations, every projection's batches (rows and
 * checkpoint in one transaction) giving the same rows as on the PostgreSQL server, the in-process
 * lock that stands for the advisory lock, LISTEN/NOTIFY, one session shared without interleaving,
 * and the files surviving a reopen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient } from '../../eventstore-emulator/testing/fixture';
import { createLogger } from '../../platform/logger';
import {
  checkpointChannel,
  closePostgres,
  connectEmbeddedPostgres,
  connectPostgres,
  listenToChannel,
  openEmbeddedPostgres,
} from '../../platform/postgres';
import { eventually } from '../../platform/testing/eventually';
import { createTestSchema } from '../../platform/testing/postgres-schema';
import { migrateReadModels } from '../migrate';
import { readModelMigrations } from '../migrations';
import { allProjections } from '../projections';
import { Shop, settle, snapshotReadModels } from '../testing/fixture';
import { acquireAdvisoryLock } from './advisory-lock';
import { advanceCheckpoint, loadCheckpoint } from './checkpoint-store';
import { ProjectionRunner } from './runner';

const logger = createLogger({ service: 'embedded-postgres-test', level: 'silent' });
const directories: string[] = [];
const temporaryDirectory = () => {
  const directory = mkdtempSync(join(tmpdir(), 'checkout-pglite-'));
  directories.push(directory);
  return directory;
};

test.after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

test('the read-model migrations run, and the files keep the tables and rows across a reopen', async () => {
  const dataDir = temporaryDirectory();
  const first = await openEmbeddedPostgres({ dataDir });
  const knex = connectPostgres({ url: first.url, schema: 'public' });
  const ran = await migrateReadModels(knex, 'public');
  assert.equal(ran, readModelMigrations.map(({ name }) => name).sort());
  await knex('projection_checkpoints').insert({ projection: 'orders', commit_position: '42', prepare_position: '42' });
  await closePostgres(knex);
  await first.close();

  const second = await openEmbeddedPostgres({ dataDir });
  const again = connectPostgres({ url: second.url });
  try {
    assert.equal(await migrateReadModels(again, 'public'), [], 'nothing left to migrate');
    assert.equal((await loadCheckpoint(again, 'orders')).position, { commit: 42n, prepare: 42n });
  } finally {
    await closePostgres(again);
    await second.close();
  }
});

test('every projection gives the same rows as on the PostgreSQL server, each batch committing its checkpoint with its rows', async () => {
  const es = await startEmulatorWithClient();
  const server = await createTestSchema('t_pglite');
  const embedded = await openEmbeddedPostgres();
  const knex = connectPostgres({ url: embedded.url });
  const runners: ProjectionRunner[] = [];
  try {
    await migrateReadModels(knex, 'public');
    await migrateReadModels(server.knex, server.schema);
    const shop = new Shop(es.client);
    await shop.addProduct('MUG', 1250, 3);
    await shop.addProduct('LAMP', 4000, 10);
    await shop.checkout('o1', 'alice', [
      { sku: 'MUG', quantity: 2, price: 1250 },
      { sku: 'LAMP', quantity: 1, price: 4000 },
    ]);
    await shop.checkout('o2', 'bob', [{ sku: 'MUG', quantity: 5, price: 1250 }]);
    await shop.checkout('o3', 'carol', [{ sku: 'LAMP', quantity: 1, price: 4000 }], 'decline');
    await shop.checkout('o4', 'alice', [{ sku: 'LAMP', quantity: 2, price: 4000 }], 'timeout');
    await shop.checkout('o5', 'bob', [{ sku: 'MUG', quantity: 1, price: 1250 }], 'customer_cancels');

    const start = (target: { knex: typeof knex; url: string; schema: string }) =>
      allProjections({ lowStockThreshold: 5 }).map((projection) => {
        const runner = new ProjectionRunner(projection, {
          knex: target.knex,
          client: es.client,
          databaseUrl: target.url,
          schema: target.schema,
          logger,
          batch: { maxEvents: 7 },
        }).start();
        runners.push(runner);
        return runner;
      });
    const onEmbedded = start({ knex, url: embedded.url, schema: 'public' });
    start({ knex: server.knex, url: server.url, schema: server.schema });
    await settle(es.client, runners);

    assert.equal(await snapshotReadModels(knex), await snapshotReadModels(server.knex));
    const orders = (await knex('orders').orderBy('order_id').select('order_id', 'status')) as { order_id: string; status: string }[];
    assert.equal(
      orders.map(({ status }) => status),
      ['confirmed', 'cancelled', 'cancelled', 'cancelled', 'cancelled'],
    );
    // Each checkpoint is where its runner is: what it committed with its last batch.
    for (const runner of onEmbedded)
      assert.equal((await loadCheckpoint(knex, runner.projection.name)).position, runner.position, runner.projection.name);
  } finally {
    await Promise.all(runners.map((runner) => runner.stop()));
    await closePostgres(knex);
    await embedded.close();
    await server.drop();
    await es.close();
  }
});

test('a failed batch leaves neither its rows nor its checkpoint behind', async () => {
  const embedded = await openEmbeddedPostgres();
  const knex = connectPostgres({ url: embedded.url });
  try {
    await migrateReadModels(knex, 'public');
    await knex('projection_checkpoints').insert({ projection: 'sales' });
    const failed = await knex
      .transaction(async (trx) => {
        await trx('sales_daily').insert({ day: '2026-01-01', sku: 'MUG', currency: 'EUR', units: 1, revenue: 1250, orders: 1 });
        await advanceCheckpoint(trx, 'sales', {
          from: undefined,
          to: { commit: 9n, prepare: 9n },
          lastEventAt: new Date(),
          eventsApplied: 1,
        });
        throw new Error('the projection failed half-way');
      })
      .then(
        () => undefined,
        (error: Error) => error,
      );
    assert.is(failed?.message, 'the projection failed half-way');
    assert.equal(await knex('sales_daily').select(), []);
    assert.is((await loadCheckpoint(knex, 'sales')).position, undefined);
  } finally {
    await closePostgres(knex);
    await embedded.close();
  }
});

test('one session, shared: a transaction is never entered by another query, and a query waiting on its own open transaction times out instead of hanging', async () => {
  const embedded = await openEmbeddedPostgres();
  const projectors = connectPostgres({ url: embedded.url });
  // Waiting its turn for the session has no deadline worth testing here (a busy machine makes
  // turns slow); the instance that waits on its own transaction is impatient on purpose.
  const queries = connectEmbeddedPostgres(embedded, { acquireConnectionTimeoutMs: 60_000 });
  const impatient = connectEmbeddedPostgres(embedded, { acquireConnectionTimeoutMs: 300 });
  try {
    await projectors.raw('create table seen (n int)');
    const order: string[] = [];
    let insideTransaction!: () => void;
    const entered = new Promise<void>((resolve) => (insideTransaction = resolve));
    const writing = projectors.transaction(async (trx) => {
      await trx('seen').insert({ n: 1 });
      insideTransaction();
      await sleep(100);
      await trx('seen').insert({ n: 2 });
      order.push('committed');
    });
    await entered;
    // From another knex instance (as the query API would): it waits for the commit, then sees both rows.
    const counted = queries('seen')
      .count({ n: '*' })
      .first()
      .then((row) => {
        order.push('counted');
        return Number(row!.n);
      });
    await writing;
    assert.is(await counted, 2);
    assert.equal(order, ['committed', 'counted']);

    // Twenty concurrent transactions from two instances: none interleaves with another.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? projectors : queries).transaction(async (trx) => {
          const before = Number((await trx('seen').count({ n: '*' }).first())!.n);
          await sleep(2);
          await trx('seen').insert({ n: before + 1 });
        }),
      ),
    );
    assert.equal(((await projectors('seen').orderBy('n').pluck('n')) as number[]).slice(-3), [20, 21, 22]);

    const selfWait = await impatient
      .transaction(async (trx) => {
        await trx('seen').insert({ n: 0 });
        await impatient('seen').count(); // outside the transaction that holds the session
      })
      .then(
        () => undefined,
        (error: Error) => error,
      );
    assert.is(selfWait?.name, 'KnexTimeoutError');
    assert.is(Number((await projectors('seen').where({ n: 0 }).count({ n: '*' }).first())!.n), 0, 'rolled back');
  } finally {
    await closePostgres(impatient);
    await closePostgres(queries);
    await closePostgres(projectors);
    await embedded.close();
  }
});

test('checkpoint moves are announced with LISTEN/NOTIFY, as on the server', async () => {
  const embedded = await openEmbeddedPostgres();
  const knex = connectPostgres({ url: embedded.url });
  try {
    await migrateReadModels(knex, 'public');
    const payloads: string[] = [];
    let listening!: () => void;
    const listeningNow = new Promise<void>((resolve) => (listening = resolve));
    const listener = listenToChannel(knex, checkpointChannel('public'), {
      onNotification: (payload) => payloads.push(payload),
      onListeningChange: (on) => on && listening(),
    });
    await listeningNow;
    await knex.transaction(async (trx) => {
      await trx('projection_checkpoints').insert({ projection: 'orders', commit_position: '7', prepare_position: '7' });
      assert.equal(payloads, [], 'not before the commit');
    });
    await eventually('the commit to be announced', () => payloads.length > 0);
    assert.equal(
      payloads.map((payload) => JSON.parse(payload)),
      [{ projection: 'orders', commit: '7', prepare: '7', failed: false }],
    );
    await listener.close();
  } finally {
    await closePostgres(knex);
    await embedded.close();
  }
});

test('the lock that stands for the advisory lock: one holder at a time, the next one gets it on release, a closing database takes it away', async () => {
  const embedded = await openEmbeddedPostgres();
  try {
    const first = acquireAdvisoryLock({ url: embedded.url, schema: 'public', name: 'orders' });
    await first.acquired;
    const second = acquireAdvisoryLock({ url: embedded.url, schema: 'public', name: 'orders' });
    const other = acquireAdvisoryLock({ url: embedded.url, schema: 'public', name: 'sales' });
    await other.acquired; // another projection's lock is another lock
    let secondHeld = false;
    void second.acquired.then(() => (secondHeld = true));
    await sleep(50);
    assert.is(secondHeld, false);
    await first.release();
    assert.match((await first.lost).message, /released/);
    await second.acquired;

    const waiting = acquireAdvisoryLock({ url: embedded.url, schema: 'public', name: 'orders' });
    await waiting.release();
    assert.match(
      await waiting.acquired.then(
        () => 'acquired',
        (error: Error) => error.message,
      ),
      /released while waiting/,
    );

    await embedded.close();
    assert.match((await second.lost).message, /closed/);
  } finally {
    await embedded.close();
  }
});

test.run();
