import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../../platform/testing/eventually';
import { migrateToLatest } from '../../platform/postgres';
import { createTestSchema, type TestSchema } from '../../platform/testing/postgres-schema';
import { readModelMigrations } from '../../projectors/migrations';
import { CheckpointWatcher } from './checkpoint-watcher';

let db: TestSchema;

test.before(async () => {
  db = await createTestSchema();
  await migrateToLatest(db.knex, readModelMigrations, { schema: db.schema });
  await db.knex('projection_checkpoints').insert([{ projection: 'orders' }, { projection: 'products' }]);
});
test.after(async () => {
  await db.drop();
});

async function moveCheckpoint(projection: string, commit: number): Promise<void> {
  // As a projector commits a batch: the move is visible (and announced) at commit.
  await db.knex.transaction(async (trx) => {
    await trx('projection_checkpoints')
      .where({ projection })
      .update({ commit_position: String(commit), prepare_position: String(commit) });
  });
}

const position = (commit: number) => ({ commit: BigInt(commit), prepare: BigInt(commit) });

async function untilListening(watcher: CheckpointWatcher): Promise<void> {
  // The first wait starts the LISTEN connection; wait until the server has it registered.
  await eventually('the watcher listening', async () => {
    const rows = await db.knex.raw(`select count(*)::int as n from pg_stat_activity where query ilike 'listen %' and query like ?`, [
      `%${db.schema}%`,
    ]);
    if ((rows.rows[0] as { n: number }).n > 0) return true;
    watcher.start();
    return false;
  });
}

test('a checkpoint move announced at commit answers a waiting request at once, without polling', async () => {
  // Both polls far beyond the test's patience: only the notification can answer in time.
  const watcher = new CheckpointWatcher(db.knex, { pollIntervalMs: 60_000, listeningPollIntervalMs: 60_000 });
  try {
    watcher.start();
    await untilListening(watcher);
    const started = performance.now();
    const waiting = watcher.waitFor(['orders'], position(100), 5_000);
    await sleep(50);
    await moveCheckpoint('orders', 99);
    await moveCheckpoint('orders', 100);
    const outcome = await waiting;
    const waited = performance.now() - started;
    assert.equal(outcome, { reached: true });
    assert.ok(waited < 1_000, `answered after ${waited.toFixed(0)} ms`);
  } finally {
    watcher.close();
  }
});

test('a position passed before the request arrived answers from the first read', async () => {
  await moveCheckpoint('products', 500);
  const watcher = new CheckpointWatcher(db.knex, { pollIntervalMs: 60_000, listeningPollIntervalMs: 60_000 });
  try {
    assert.equal(await watcher.waitFor(['products'], position(400), 2_000), { reached: true });
    // Every projection named must be past it: orders (at 100) is not.
    const outcome = await watcher.waitFor(['products', 'orders'], position(400), 300);
    assert.is(outcome.reached, false);
  } finally {
    watcher.close();
  }
});

test('without LISTEN it polls; a lost LISTEN connection falls back to polling and listens again', async () => {
  const polling = new CheckpointWatcher(db.knex, { listen: false, pollIntervalMs: 10 });
  try {
    const waiting = polling.waitFor(['orders'], position(150), 3_000);
    await moveCheckpoint('orders', 150);
    assert.equal(await waiting, { reached: true });
  } finally {
    polling.close();
  }

  const watcher = new CheckpointWatcher(db.knex, { pollIntervalMs: 10, listeningPollIntervalMs: 60_000 });
  try {
    await untilListening(watcher);
    await db.knex.raw(`select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'listen %' and query like ?`, [
      `%${db.schema}%`,
    ]);
    // Polling answers meanwhile...
    const waiting = watcher.waitFor(['orders'], position(160), 3_000);
    await moveCheckpoint('orders', 160);
    assert.equal(await waiting, { reached: true });
    // ...and it listens again (so a notification answers even with the slow safety-net poll).
    await untilListening(watcher);
  } finally {
    watcher.close();
  }
});

test.run();
