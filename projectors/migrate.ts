/**
 * `npm run migrate`: brings the read models' schema up to date (the service also does it on
 * start). `npm run migrate -- --down` undoes every migration (development only).
 */
import { z } from 'zod';
import { databaseUrl, loadConfigOrExit } from '../platform/config';
import { closePostgres, connectPostgres, migrateToLatest, rollbackAll, type Knex } from '../platform/postgres';
import { readModelMigrations } from './migrations';

export async function migrateReadModels(knex: Knex, schema: string): Promise<string[]> {
  await knex.raw('create schema if not exists ??', [schema]);
  return migrateToLatest(knex, readModelMigrations, { schema });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadConfigOrExit(
    z.object({
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: z
        .string()
        .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier')
        .default('public'),
    }),
  );
  const knex = connectPostgres({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, applicationName: 'migrate' });
  try {
    if (process.argv.includes('--down')) {
      const undone = await rollbackAll(knex, readModelMigrations, { schema: config.DATABASE_SCHEMA });
      process.stdout.write(undone.length ? `undone: ${undone.join(', ')}\n` : 'nothing to undo\n');
    } else {
      const ran = await migrateReadModels(knex, config.DATABASE_SCHEMA);
      process.stdout.write(ran.length ? `migrated: ${ran.join(', ')}\n` : 'already up to date\n');
    }
  } finally {
    await closePostgres(knex);
  }
}
