import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closePostgres, connectPostgres, migrateToLatest } from '../../platform/postgres';
import { createTestSchema, TEST_DATABASE_URL } from '../../platform/testing/postgres-schema';
import { readModelMigrations } from '../migrations';
import type { ReplayContext } from './context';
import { dropSchema, ensureShadowSchema } from './shadow-schema';

test('a rebuild resumed after an upgrade brings its shadow up to the migrations the live schema has', async () => {
  const db = await createTestSchema('t_shadow');
  const shadow = `${db.schema}_rebuild`;
  try {
    // The shadow as a release before 0008 left it, interrupted.
    await db.knex.raw('create schema ??', [shadow]);
    const old = connectPostgres({ url: TEST_DATABASE_URL, schema: shadow, pool: { max: 1 } });
    await migrateToLatest(
      old,
      readModelMigrations.filter(({ name }) => name < '0008'),
      { schema: shadow },
    );
    await closePostgres(old);

    const context = { knex: db.knex, databaseUrl: TEST_DATABASE_URL } as unknown as ReplayContext;
    assert.equal(await ensureShadowSchema(context, shadow), { resumed: true });
    const { rows } = await db.knex.raw(
      `select data_type from information_schema.columns where table_schema = ? and table_name = 'products' and column_name = 'on_hand'`,
      [shadow],
    );
    assert.equal(rows, [{ data_type: 'bigint' }]);
  } finally {
    await dropSchema(db.knex, shadow);
    await db.drop();
  }
});

test.run();
