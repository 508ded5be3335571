/**
 * Crash safety: the projector service (projectors/main.ts, a child process) is killed with
 * SIGKILL 20 times while events keep flowing, restarting each time. After the last restart has
 * caught up, its read models must equal a fresh rebuild from the log: no event applied twice,
 * none skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient, type EmulatorFixture } from '../eventstore-emulator/testing/fixture';
import { createLogger } from '../platform/logger';
import { eventually } from '../platform/testing/eventually';
import { migrateToLatest } from '../platform/postgres';
import { createTestSchema, type TestSchema } from '../platform/testing/postgres-schema';
import { ProjectionRunner } from './framework/runner';
import { readModelMigrations } from './migrations';
import { allProjections } from './projections';
import { Shop, lastPositionIn, settle, snapshotReadModels } from './testing/fixture';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const root = new URL('..', import.meta.url).pathname;

let es: EmulatorFixture;
let db: TestSchema;
let rebuilt: TestSchema;

test.before(async () => {
  es = await startEmulatorWithClient();
  db = await createTestSchema();
  rebuilt = await createTestSchema();
});
test.after(async () => {
  await db.drop();
  await rebuilt.drop();
  await es.close();
});

function startProjector(): { child: ChildProcess; applying: Promise<void>; exited: Promise<number | string | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'projectors/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      EVENTSTORE_URL: es.emulator.url,
      DATABASE_URL: db.url,
      DATABASE_SCHEMA: db.schema,
      NATS_URL: 'nats://127.0.0.1:4222',
      NOTIFIER_ENABLED: 'false', // this test is about the projections; the outbox rows are compared
      PROJECTORS_PORT: '0',
      PROJECTOR_BATCH_SIZE: '50',
      LOG_LEVEL: 'info',
      // Its status route wants an admin token; this test never calls it, but the process needs a verifier.
      JWT_SECRET: 'projector-crash-test-secret-0123456789abcdef',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const applying = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('is catching up')) resolve();
    });
    // A process that cannot start must fail the test at once, not hang it until the runner's limit.
    child.once('exit', (code, signal) => reject(new Error(`the projector exited (${code ?? signal}) before applying:\n${output}`)));
  });
  applying.catch(() => undefined);
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => {
      if (code && code !== 0) process.stderr.write(output);
      resolve(code ?? signal);
    }),
  );
  return { child, applying, exited };
}

async function caughtUp(): Promise<boolean> {
  const checkpoints = new Map(
    (
      (await db.knex('projection_checkpoints').select('projection', 'commit_position')) as {
        projection: string;
        commit_position: string | null;
      }[]
    ).map((row) => [row.projection, row.commit_position]),
  );
  for (const projection of allProjections({ lowStockThreshold: 5 })) {
    const target = await lastPositionIn(es.client, projection.streamPrefixes);
    const reached = checkpoints.get(projection.name);
    if (target && (!reached || BigInt(reached) < target.commit)) return false;
  }
  return true;
}

test(`${KILLS} SIGKILLs while events flow: the read models equal a fresh rebuild`, async () => {
  const shop = new Shop(es.client);
  await shop.addProduct('A', 1000, 1_000_000);
  await shop.addProduct('B', 250, 1_000_000);
  await shop.addProduct('L', 99, 40); // runs low, then out: low-stock and out-of-stock paths

  let flowing = true;
  let orders = 0;
  const outcomes = ['confirm', 'confirm', 'decline', 'customer_cancels'] as const;
  const flow = (async () => {
    while (flowing) {
      const n = ++orders;
      const lines = [{ sku: 'A', quantity: 1 + (n % 3), price: 1000 }];
      if (n % 2 === 0) lines.push({ sku: 'B', quantity: 2, price: 250 });
      if (n % 3 === 0) lines.push({ sku: 'L', quantity: 1, price: 99 });
      await shop.checkout(`o${n}`, `c${n % 7}`, lines, outcomes[n % outcomes.length]);
    }
  })();

  const started = Date.now();
  let killedWhileApplying = 0;
  let killedInTransaction = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    const projector = startProjector();
    await projector.applying;
    killedWhileApplying++;
    await sleep(20 + Math.random() * 300);
    // Racy by nature (the transaction may commit between this look and the kill): a figure, not a check.
    const open = await db
      .knex('pg_stat_activity')
      .where({ application_name: `projectors:${db.schema}` })
      .whereNotNull('xact_start')
      .count({ n: '*' })
      .first();
    projector.child.kill('SIGKILL');
    if (Number(open!.n) > 0) killedInTransaction++;
    assert.is(await projector.exited, 'SIGKILL');
  }
  flowing = false;
  await flow;

  // A last run catches up with everything, and stops gracefully.
  const last = startProjector();
  await eventually('the projector to catch up after the kills', caughtUp, { timeoutMs: 120_000, intervalMs: 100 });
  last.child.kill('SIGTERM');
  assert.is(await last.exited, 0);

  // The rebuild: a fresh schema, every projection from the start of the log, in this process.
  await migrateToLatest(rebuilt.knex, readModelMigrations, { schema: rebuilt.schema });
  const logger = createLogger({ service: 'rebuild', level: 'silent' });
  const runners = allProjections({ lowStockThreshold: 5 }).map((projection) =>
    new ProjectionRunner(projection, {
      knex: rebuilt.knex,
      client: es.client,
      databaseUrl: rebuilt.url,
      schema: rebuilt.schema,
      logger,
    }).start(),
  );
  await settle(es.client, runners, 60_000);
  await Promise.all(runners.map((runner) => runner.stop()));

  const crashed = await snapshotReadModels(db.knex);
  const fresh = await snapshotReadModels(rebuilt.knex);
  assert.ok((crashed.orders?.length ?? 0) === orders, `${orders} orders projected`);
  for (const table of Object.keys(fresh)) assert.equal(crashed[table], fresh[table], `${table} equals the rebuild`);

  const applied = await db.knex('projection_checkpoints').sum({ n: 'events_applied' }).first();
  const freshApplied = await rebuilt.knex('projection_checkpoints').sum({ n: 'events_applied' }).first();
  assert.is(Number(applied!.n), Number(freshApplied!.n), 'as many events applied in all as in the rebuild: none twice');
  if (process.env.SHOW_FIGURES) {
    const events = Number(freshApplied!.n);
    console.log(
      `${killedWhileApplying} kills while applying (${killedInTransaction} with a batch transaction open a moment before), ${orders} orders, ${events} event applications, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
});

test.run();
