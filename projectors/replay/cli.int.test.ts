/**
 * The CLI's answers to bad input and its status: each bad case is one line on stderr, a
 * non-zero exit, and the live read models untouched (rows and checkpoints as they were, no
 * shadow schema). `status` lists every projection with its lag, also as JSON, and shows a
 * running or interrupted rebuild.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { migrateToLatest } from '../../platform/postgres';
import { eventually } from '../../platform/testing/eventually';
import { createTestSchema } from '../../platform/testing/postgres-schema';
import { readModelMigrations } from '../migrations';
import { allProjections } from '../projections';
import { settle, snapshotReadModels, startProjectorTestFixture, type ProjectorTestFixture } from '../testing/fixture';
import { tablesNeverRebuilt, tablesOfProjection } from './read-model-tables';
import { dropShadows, replayEnvironment, runCli, startCli } from '../testing/replay';

let f: ProjectorTestFixture;
let env: Record<string, string>;
const names = allProjections({ lowStockThreshold: 5 }).map(({ name }) => name);

test.before(async () => {
  f = await startProjectorTestFixture();
  await f.shop.addProduct('A', 1000, 1_000_000);
  for (let n = 1; n <= 150; n++) await f.shop.checkout(`o${n}`, `c${n % 4}`, [{ sku: 'A', quantity: 1, price: 1000 }]);
  const runners = allProjections({ lowStockThreshold: 5 }).map((projection) => f.runner(projection).start());
  await settle(f.es.client, runners);
  await Promise.all(runners.map((runner) => runner.stop()));
  env = replayEnvironment(f);
});
test.after(async () => {
  await dropShadows(f);
  await f.close();
});

async function liveState() {
  const checkpoints = await f.db
    .knex('projection_checkpoints')
    .orderBy('projection')
    .select('projection', 'commit_position', 'events_applied', 'updated_at');
  const schemas = (await f.db.knex.raw('select nspname from pg_namespace where nspname like ?', [`${f.db.schema}\\_%`])).rows;
  return { rows: await snapshotReadModels(f.db.knex), checkpoints, schemas };
}

async function assertRefused(args: string[], overrides: Record<string, string>, code: number, message: RegExp): Promise<void> {
  const before = await liveState();
  const result = await runCli({ ...env, ...overrides }, args);
  assert.is(result.code, code, `exit code of ${args.join(' ')}: ${result.stderr}`);
  assert.is(result.stdout, '', 'nothing on stdout');
  const lines = result.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
  assert.match(lines[0]!, message);
  assert.equal(await liveState(), before, 'nothing live was touched');
}

test('every table the migrations create is either a projection’s or never rebuilt', async () => {
  const db = await createTestSchema();
  try {
    await migrateToLatest(db.knex, readModelMigrations, { schema: db.schema });
    const tables = (await db
      .knex('information_schema.tables')
      .where({ table_schema: db.schema, table_type: 'BASE TABLE' })
      .pluck('table_name')) as string[];
    const owned = [...Object.values(tablesOfProjection).flat(), ...tablesNeverRebuilt];
    assert.equal(
      tables.filter((table) => !owned.includes(table)),
      [],
      'tables no projection owns (add them to read-model-tables.ts)',
    );
    assert.equal(Object.keys(tablesOfProjection).sort(), [...names].sort(), 'every projection has its tables listed');
  } finally {
    await db.drop();
  }
});

test('bad input: one line on stderr, a non-zero exit, nothing live touched', async () => {
  await assertRefused(['rebuild', 'orders', 'nope', '--yes'], {}, 2, /^replay: unknown projection 'nope': known are orders, products/);
  await assertRefused(['frobnicate'], {}, 2, /unknown command 'frobnicate'/);
  await assertRefused(['rebuild', '--yes'], {}, 2, /rebuild needs projection names or --all/);
  await assertRefused(['rebuild', '--all', '--batch-size', 'lots', '--yes'], {}, 2, /--batch-size must be a whole number/);
  await assertRefused(['rebuild', '--all', '--colour'], {}, 2, /Unknown option '--colour'/);
  await assertRefused(['rebuild', 'sales', '--from', '100', '--yes'], {}, 2, /--from is not supported by sales/);
  await assertRefused(['status'], { LOW_STOCK_THRESHOLD: 'few' }, 2, /^replay: configuration: LOW_STOCK_THRESHOLD must be a whole number/);
  await assertRefused(
    ['rebuild', '--all', '--yes'],
    { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' },
    3,
    /^replay: cannot reach PostgreSQL at 127\.0\.0\.1:1: .*ECONNREFUSED/,
  );
  await assertRefused(['status'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' }, 3, /cannot reach PostgreSQL/);
  await assertRefused(
    ['rebuild', '--all', '--yes'],
    { EVENTSTORE_URL: 'esdb://127.0.0.1:1?tls=false' },
    3,
    /^replay: cannot reach the event store at 127\.0\.0\.1:1/,
  );
  await assertRefused(
    ['rebuild', '--all', '--yes'],
    { DATABASE_SCHEMA: 'not_migrated' },
    3,
    /schema not_migrated has no read models: run npm run migrate/,
  );
  await assertRefused(['rebuild', '--all'], {}, 5, /refusing to swap 9 tables without confirmation: no terminal to ask on, pass --yes/);
});

test('status: every projection with checkpoint and lag; --json parses', async () => {
  // Events the (stopped) projections have not applied: lag.
  await f.shop.checkout('late', 'c1', [{ sku: 'A', quantity: 1, price: 1000 }]);
  const text = await runCli(env, ['status']);
  assert.is(text.code, 0, text.stderr);
  for (const name of names) assert.match(text.stdout, new RegExp(`^${name}\\s+\\d+\\s+\\d+\\s+\\d+\\+?\\s+\\d+\\.\\d\\s+-$`, 'm'));

  const json = await runCli(env, ['status', '--json']);
  assert.is(json.code, 0, json.stderr);
  const status = JSON.parse(json.stdout) as {
    schema: string;
    rebuildRunning: boolean;
    projections: { name: string; checkpoint: { commit: string } | null; lagEvents: number; lagSeconds: number; rebuild: unknown }[];
  };
  assert.is(status.schema, f.db.schema);
  assert.is(status.rebuildRunning, false);
  assert.equal(
    status.projections.map(({ name }) => name),
    names,
  );
  const orders = status.projections.find(({ name }) => name === 'orders')!;
  assert.ok(orders.checkpoint && BigInt(orders.checkpoint.commit) > 0n);
  assert.ok(orders.lagEvents >= 3, `orders is behind by the late checkout's order and payment events (${orders.lagEvents})`);
  assert.ok(orders.lagSeconds >= 0);
  assert.is(orders.rebuild, null);
  await settle(
    f.es.client,
    allProjections({ lowStockThreshold: 5 }).map((projection) => f.runner(projection).start()),
  );
});

test('a second rebuild while one runs: refused in one line; status shows it running, then interrupted', async () => {
  // A transaction holding the live orders checkpoint keeps the first rebuild at its swap (which
  // waits for that row and tries again), so it is still running however fast it rebuilt.
  const holder = await f.db.knex.transaction();
  await holder('projection_checkpoints').where({ projection: 'orders' }).forUpdate().select('projection');
  const first = startCli(env, ['rebuild', '--all', '--yes', '--batch-size', '2']);
  try {
    await eventually('the first rebuild to start', () => /rebuild: \d+/.test(first.stderr()), { timeoutMs: 60_000 }).catch(
      (error: Error) => {
        throw new Error(`${error.message}: ${first.stderr()}`);
      },
    );
    const before = await snapshotReadModels(f.db.knex);
    const second = await runCli(env, ['rebuild', 'orders', '--yes']);
    assert.is(second.code, 4, second.stderr);
    assert.is(
      second.stderr,
      `replay: a rebuild of schema ${f.db.schema} is already running in another process; wait for it to finish (npm run replay -- status)\n`,
    );
    assert.equal(await snapshotReadModels(f.db.knex), before, 'the second touched nothing live');

    const running = JSON.parse((await runCli(env, ['status', '--json'])).stdout) as {
      rebuildRunning: boolean;
      projections: { name: string; rebuild: { state: string } | null }[];
    };
    assert.is(running.rebuildRunning, true);
    assert.is(running.projections.find(({ name }) => name === 'orders')!.rebuild?.state, 'running');
  } finally {
    first.child.kill('SIGKILL');
    await first.done;
    await holder.rollback();
  }
  const interrupted = JSON.parse((await runCli(env, ['status', '--json'])).stdout) as {
    rebuildRunning: boolean;
    projections: { rebuild: { state: string } | null }[];
  };
  assert.is(interrupted.rebuildRunning, false);
  assert.ok(
    interrupted.projections.every(({ rebuild }) => rebuild?.state === 'interrupted'),
    JSON.stringify(interrupted.projections),
  );
  const text = await runCli(env, ['status']);
  assert.match(text.stdout, /^orders .* interrupted at (\d+|start) \(\d+ events\)$/m);
});

test.run();
