import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { migrateToLatest, rollbackAll } from '../../platform/postgres';
import { createTestSchema, type TestSchema } from '../../platform/testing/postgres-schema';
import { readModelMigrations } from './index';

let db: TestSchema;

test.before(async () => {
  db = await createTestSchema();
});
test.after(async () => {
  await db.drop();
});

async function tablesIn(schema: string): Promise<string[]> {
  const rows = await db.knex('information_schema.tables').where({ table_schema: schema }).orderBy('table_name').pluck('table_name');
  return rows as string[];
}

test('the migrations run up on a fresh schema, again as a no-op, then all the way down', async () => {
  const ran = await migrateToLatest(db.knex, readModelMigrations, { schema: db.schema });
  assert.equal(
    ran,
    readModelMigrations.map(({ name }) => name),
  );
  const tables = await tablesIn(db.schema);
  for (const table of [
    'projection_checkpoints',
    'orders',
    'customer_orders',
    'products',
    'checkout_progress',
    'sales_daily',
    'notifications',
    'notification_outbox',
  ]) {
    assert.ok(tables.includes(table), `${table} exists`);
  }
  assert.equal(await migrateToLatest(db.knex, readModelMigrations, { schema: db.schema }), []);

  const undone = await rollbackAll(db.knex, readModelMigrations, { schema: db.schema });
  assert.equal(undone, readModelMigrations.map(({ name }) => name).reverse());
  assert.equal(await tablesIn(db.schema), ['knex_migrations', 'knex_migrations_lock']);

  // And up again: down left nothing behind that would stop a second run.
  assert.equal((await migrateToLatest(db.knex, readModelMigrations, { schema: db.schema })).length, readModelMigrations.length);
});

test('the changed rows of products, orders and checkouts are found by index (0009)', async () => {
  const indexes = (await db
    .knex('pg_indexes')
    .where({ schemaname: db.schema })
    .andWhere('indexname', 'like', '%_by_last_position')
    .orderBy('indexname')
    .select('indexname', 'indexdef')) as { indexname: string; indexdef: string }[];
  assert.equal(
    indexes.map(({ indexname }) => indexname),
    ['checkout_progress_by_last_position', 'orders_by_last_position', 'products_by_last_position'],
  );
  assert.match(indexes[2]!.indexdef, '(last_position, sku)');
});

test('available stock is on hand minus reserved, computed by the database', async () => {
  await db.knex('products').insert({
    sku: 'S',
    name: 'n',
    price_amount: 100,
    currency: 'EUR',
    on_hand: 10,
    reserved: 3,
    sold: 0,
    updated_at: new Date(),
    revision: 0,
    last_position: '1',
  });
  const row = await db.knex('products').where({ sku: 'S' }).first();
  assert.is(row.available, 7);
  assert.is(typeof row.price_amount, 'number', 'bigint columns read as numbers');
});

test('unit counts past 2^31 − 1 fit (0008), and read back as exact numbers', async () => {
  const huge = 3_000_000_000;
  await db.knex('products').insert({
    sku: 'BIG',
    name: 'n',
    price_amount: 1,
    currency: 'EUR',
    on_hand: huge,
    reserved: 1,
    sold: huge,
    updated_at: new Date(),
    revision: 0,
    last_position: '1',
  });
  const row = await db.knex('products').where({ sku: 'BIG' }).first();
  assert.equal([row.on_hand, row.available, row.sold], [huge, huge - 1, huge]);
  await db.knex('notification_stock').insert({ sku: 'BIG', on_hand: huge, reserved: huge, low: false, revision: 0 });
  await db.knex('sales_order_lines').insert({ order_id: 'o', sku: 'BIG', quantity: huge, unit_price: 1, currency: 'EUR' });
});

test.run();
