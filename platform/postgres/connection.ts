/**
 * The PostgreSQL connection (knex over `pg`), from DATABASE_URL. One pool per process.
 *
 * `schema` sets the search path, so the same code can run in a schema of its own (every test
 * does, `t_<random>`, so test files run in parallel without seeing each other's tables).
 */
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { ReadinessCheck } from '../http/readiness';
import { connectEmbeddedPostgres, embeddedPostgresAt, isEmbeddedPostgresUrl } from './embedded';

export type { Knex } from 'knex';

const INT8_OID = 20;

/**
 * `bigint` columns (counts, money in minor units) come back as numbers rather than pg's default
 * strings. A value beyond 2^53 would lose precision, so it throws instead: such a value is a bug
 * in this shop (log positions, which can be that large, are stored as `numeric` and stay strings).
 */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`bigint ${text} does not fit a JavaScript number exactly`);
  return value;
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return parseInt8;
    return pg.types.getTypeParser(oid, format);
  },
};

export interface PostgresOptions {
  /** `postgres://user@host:5432/database`, as in DATABASE_URL; or the `pglite:` URL of an embedded database this process opened (embedded.ts). */
  url: string;
  /** Search path; default the connection's (`public`). */
  schema?: string;
  pool?: { min?: number; max?: number };
  /** Shown in pg_stat_activity, so an operator can tell the services' connections apart. */
  applicationName?: string;
}

export function connectPostgres({ url, schema, pool, applicationName }: PostgresOptions): Knex {
  if (isEmbeddedPostgresUrl(url)) return connectEmbeddedPostgres(embeddedPostgresAt(url), schema ? { schema } : {});
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: url,
      types,
      ...(applicationName ? { application_name: applicationName } : {}),
    } as Knex.PgConnectionConfig,
    ...(schema ? { searchPath: [schema] } : {}),
    pool: { min: pool?.min ?? 0, max: pool?.max ?? 10 },
    acquireConnectionTimeout: 10_000,
  });
}

export async function closePostgres(knex: Knex): Promise<void> {
  await knex.destroy();
}

/** A plain `pg` client (not pooled) for what must stay on one session, e.g. an advisory lock. */
export function dedicatedPostgresClient({ url, applicationName }: Pick<PostgresOptions, 'url' | 'applicationName'>): pg.Client {
  // An embedded database is one session: "a session of its own" does not exist there.
  if (isEmbeddedPostgresUrl(url)) throw new Error('an embedded database has no second session; use its in-process equivalent');
  return new pg.Client({ connectionString: url, types, ...(applicationName ? { application_name: applicationName } : {}) });
}

export function postgresReadinessCheck(knex: Knex, { timeoutMs = 1000 }: { timeoutMs?: number } = {}): ReadinessCheck {
  return {
    name: 'postgres',
    timeoutMs,
    async check() {
      await knex.raw('select 1');
    },
  };
}

/**
 * Whether an error means "the database is unreachable or briefly unable", worth retrying, as
 * opposed to a statement that will fail the same way every time.
 */
export function isTransientPostgresError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'KnexTimeoutError') return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (/^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)/.test(code)) return true;
    // SQLSTATE classes: 08 connection, 40 transaction rollback (serialization, deadlock),
    // 53 insufficient resources, 57 operator intervention (shutdown), 58 system error.
    if (/^(08|40|53|57|58)/.test(code)) return true;
  }
  return /Connection terminated|connection.*(closed|ended)|Client has encountered a connection error/i.test(error.message);
}
