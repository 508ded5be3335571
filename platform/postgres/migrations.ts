/**
 * Running knex migrations that are TypeScript modules listed in code (not found by scanning a
 * directory), so they run the same under tsx, in a bundle, or in a container.
 */
import type { Knex } from 'knex';

export interface Migration {
  /** Sorts the migrations and is recorded in the migrations table: never rename one that has run. */
  readonly name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export interface MigrationOptions {
  /** The schema holding both the tables and the migrations table; default the search path's first. */
  schema?: string;
  /** Default `knex_migrations`. */
  tableName?: string;
}

function migratorConfig(
  migrations: readonly Migration[],
  { schema, tableName = 'knex_migrations' }: MigrationOptions,
): Knex.MigratorConfig {
  const sorted = [...migrations].sort((a, b) => a.name.localeCompare(b.name));
  const source: Knex.MigrationSource<Migration> = {
    getMigrations: async () => sorted,
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => ({ up: migration.up, down: migration.down }),
  };
  return { migrationSource: source, tableName, ...(schema ? { schemaName: schema } : {}) };
}

/** Brings the schema up to date; answers the names of the migrations it ran (empty when none). */
export async function migrateToLatest(knex: Knex, migrations: readonly Migration[], options: MigrationOptions = {}): Promise<string[]> {
  const [, ran] = (await knex.migrate.latest(migratorConfig(migrations, options))) as [number, string[]];
  return ran;
}

/** Undoes every migration that has run, newest first. */
export async function rollbackAll(knex: Knex, migrations: readonly Migration[], options: MigrationOptions = {}): Promise<string[]> {
  const [, undone] = (await knex.migrate.rollback(migratorConfig(migrations, options), true)) as [number, string[]];
  return undone;
}
