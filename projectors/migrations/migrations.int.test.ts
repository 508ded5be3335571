import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { migrateToLatest, rollbackAll } from '../../platform/postgres';
import { createTestSchema, type TestSchema } from '../../platform/postgres/testing';
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
  assert.equal(ran, readModelMigrations.map(({ name }) => name));
  const tables = await tablesIn(db.schema);
  for (const table of ['projection_checkpoints', 'orders', 'customer_orders', 'products', 'checkout_progress', 'sales_daily', 'notifications', 'notification_outbox']) {
    assert.ok(tables.includes(table), `${table} exists`);
  }
  assert.equal(await migrateToLatest(db.knex, readModelMigrations, { schema: db.schema }), []);

  const undone = await rollbackAll(db.knex, readModelMigrations, { schema: db.schema });
  assert.equal(undone, readModelMigrations.map(({ name }) => name).reverse());
  assert.equal(await tablesIn(db.schema), ['knex_migrations', 'knex_migrations_lock']);

  // And up again: down left nothing behind that would stop a second run.
  assert.equal((await migrateToLatest(db.knex, readModelMigrations, { schema: db.schema })).length, readModelMigrations.length);
});

test('available stock is on hand minus reserved, computed by the database', async () => {
  await db.knex('products').insert({ sku: 'S', name: 'n', price_amount: 100, currency: 'EUR', on_hand: 10, reserved: 3, sold: 0, updated_at: new Date(), revision: 0, last_position: '1' });
  const row = await db.knex('products').where({ sku: 'S' }).first();
  assert.is(row.available, 7);
  assert.is(typeof row.price_amount, 'number', 'bigint columns read as numbers');
});

test.run();
