/**
 * verify: a row changed by hand in a live table (and one deleted) is reported, with the table,
 * the row's key and the column, and a non-zero exit; an intact model reports nothing and exits 0.
 * Nothing is swapped and the shadow is dropped either way.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allProjections } from '../projections';
import { settle, snapshotReadModels, startProjectorTestFixture, type ProjectorTestFixture } from '../testing/fixture';
import { dropShadows, replayEnvironment, runCli } from '../testing/replay';

let f: ProjectorTestFixture;
let env: Record<string, string>;

test.before(async () => {
  f = await startProjectorTestFixture();
  await f.shop.addProduct('A', 1000, 100);
  await f.shop.addProduct('B', 250, 6);
  for (let n = 1; n <= 8; n++)
    await f.shop.checkout(
      `o${n}`,
      `c${n % 3}`,
      [{ sku: n % 2 ? 'A' : 'B', quantity: 1, price: n % 2 ? 1000 : 250 }],
      n % 4 === 0 ? 'decline' : 'confirm',
    );
  // Live writers keep running: verify compares at the same checkpoint while they could move.
  const runners = allProjections({ lowStockThreshold: 5 }).map((projection) => f.runner(projection).start());
  await settle(f.es.client, runners);
  env = replayEnvironment(f);
});
test.after(async () => {
  await dropShadows(f);
  await f.close();
});

async function noShadow(): Promise<boolean> {
  const { rows } = await f.db.knex.raw('select 1 from pg_namespace where nspname like ?', [`${f.db.schema}\\_%`]);
  return rows.length === 0;
}

test('verify --all on an intact model: no differences, exit 0', async () => {
  const { code, stdout, stderr } = await runCli(env, ['verify', '--all']);
  assert.is(code, 0, stderr);
  assert.match(stdout, /^no differences: 9 tables match a fresh rebuild/);
  assert.ok(await noShadow(), 'the shadow is dropped');
});

test('verify reports a row altered by hand and a row deleted by hand, names table and row, exits non-zero', async () => {
  await f.db.knex('orders').where({ order_id: 'o3' }).update({ status: 'cancelled' });
  await f.db.knex('sales_daily').update({ units: 999 }).where('sku', 'B');
  await f.db.knex('products').where({ sku: 'B' }).delete();
  const before = await snapshotReadModels(f.db.knex);

  const { code, stdout, stderr } = await runCli(env, ['verify', '--all']);
  assert.is(code, 1, stderr);
  assert.match(stdout, /^3 differences from a fresh rebuild/);
  assert.match(stdout, /orders order_id=o3: status live "cancelled", rebuilt "confirmed"/);
  assert.match(stdout, /products sku=B: missing from the live table/);
  assert.match(stdout, /sales_daily day=\S+ sku=B currency=EUR: units live 999, rebuilt \d+/);

  const json = await runCli(env, ['verify', 'orders', '--json']);
  assert.is(json.code, 1);
  const result = JSON.parse(json.stdout) as {
    differences: number;
    tables: {
      table: string;
      differences: number;
      first: { key: Record<string, unknown>; kind: string; columns: { column: string }[] }[];
    }[];
  };
  assert.is(result.differences, 1);
  assert.equal(result.tables[0]!.first[0]!.key, { order_id: 'o3' });
  assert.equal(
    result.tables[0]!.first[0]!.columns.map(({ column }) => column),
    ['status'],
  );

  assert.equal(await snapshotReadModels(f.db.knex), before, 'verify swapped nothing: the live tables are as they were');
  assert.ok(await noShadow(), 'the shadow is dropped');
});

test.run();
