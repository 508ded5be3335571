/**
 * For tests: a schema of one's own (`t_<random>`) in the test database, so test files that run
 * in parallel never see each other's tables, and a `drop()` that removes it.
 */
import { randomBytes } from 'node:crypto';
import { closePostgres, connectPostgres, type Knex } from '../postgres/connection';

export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  readonly url: string;
  readonly schema: string;
  readonly knex: Knex;
  drop(): Promise<void>;
}

export async function createTestSchema(prefix = 't'): Promise<TestSchema> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const knex = connectPostgres({ url: TEST_DATABASE_URL, schema, pool: { max: 5 } });
  await knex.raw('create schema ??', [schema]);
  return {
    url: TEST_DATABASE_URL,
    schema,
    knex,
    async drop() {
      await knex.raw('drop schema if exists ?? cascade', [schema]);
      await closePostgres(knex);
    },
  };
}
