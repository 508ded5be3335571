/**
 * Where the test files look for PostgreSQL and NATS: `DATABASE_URL` and `NATS_URL`, or the same
 * defaults as the test helpers (platform/testing/postgres-schema.ts, query-api/testing/fixture.ts,
 * test/testing/system.ts; where-tests-look.unit.test.ts holds them equal). The preflight checks
 * exactly these and starts a missing server on exactly this port, so every test file, including
 * those that read the variables themselves, meets the server the preflight vouched for.
 */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** Whether the host is this machine: the only place the preflight may start a server. */
  readonly local: boolean;
  /** `host:port`, for messages (never the password). */
  readonly shown: string;
}

export interface PostgresTarget extends Endpoint {
  readonly url: string;
  readonly user: string;
  readonly database: string;
}

export interface NatsTarget extends Endpoint {
  /** As given: several servers may be listed, comma-separated. */
  readonly url: string;
}

export interface TestTargets {
  readonly postgres: PostgresTarget;
  readonly nats: NatsTarget;
}

/** Throws an Error naming the variable when it is not a URL. */
export function whereTestsLook(env: NodeJS.ProcessEnv): TestTargets {
  const databaseUrl = env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const natsUrl = env.NATS_URL || DEFAULT_NATS_URL;
  const database = parse('DATABASE_URL', databaseUrl);
  // The NATS client takes `host:port` without a scheme, and a list: the first server is the one started.
  const firstNats = natsUrl.split(',')[0]!.trim();
  const nats = parse('NATS_URL', firstNats.includes('://') ? firstNats : `nats://${firstNats}`);
  return {
    postgres: {
      ...endpoint(database, 5432),
      url: databaseUrl,
      user: decodeURIComponent(database.username) || 'postgres',
      database: decodeURIComponent(database.pathname.slice(1)) || decodeURIComponent(database.username) || 'postgres',
    },
    nats: { ...endpoint(nats, 4222), url: natsUrl },
  };
}

function parse(variable: string, value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new Error(`${variable} is not a URL (e.g. ${variable === 'DATABASE_URL' ? DEFAULT_DATABASE_URL : DEFAULT_NATS_URL})`);
  }
}

function endpoint(url: URL, defaultPort: number): Endpoint {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || defaultPort);
  return { host, port, local: isLoopback(host), shown: `${host.includes(':') ? `[${host}]` : host}:${port}` };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
