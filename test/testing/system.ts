/**
 * The whole checkout in one process: a fresh event store emulator, the payment sandbox, the
 * saga, the projectors, the command API and the query API, each built by its own factory and
 * (where it serves HTTP) listening on an ephemeral port. The assembly is `npm start`'s
 * (launcher/system.ts); this file adds what tests need around it: isolation on the shared
 * servers, and a connection to look at rows. The end-to-end tests start one system per file.
 * (system-processes.ts runs the same services as separate processes, from their own main.ts,
 * for the benches.)
 *
 * Isolation, so that test files can run in parallel against the shared PostgreSQL and NATS:
 * - a Postgres schema of its own (`e2e_<random>`), where the projectors run their migrations;
 * - a NATS subject prefix and a JetStream stream of their own (`e2e_<tag>.notifications.>` in
 *   stream `E2E_<tag>`), given to both the notifier and the query API, so no other run's
 *   notifications ever reach these sockets; the stream is deleted on stop.
 *
 * The services meet only where they would in production (event log, Postgres, NATS): nothing here
 * hands one service an object of another.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import type { RunningEmulator } from '../../eventstore-emulator/emulator';
import { assembleSystem } from '../../launcher/system';
import type { Role, TokenVerifier } from '../../platform/auth';
import type { ConsoleOidc } from '../../web/origin/app';
import type { HttpServer } from '../../platform/http';
import { createLogger, type Logger } from '../../platform/logger';
import { connectNats } from '../../platform/nats';
import { closePostgres, connectPostgres, type Knex } from '../../platform/postgres';
import { TEST_DATABASE_URL } from '../../platform/testing/postgres-schema';
import { ensureConsoleBuilt } from '../../web/build';
import type { ProjectorService } from '../../projectors/service';
import type { QueryApi } from '../../query-api/app';
import type { PaymentSandbox } from '../../saga/payment-sandbox/server';
import type { SagaSettings } from '../../saga/config';
import type { RunningSaga } from '../../saga/service';

export const DEFAULT_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export interface SystemOptions {
  /** NATS the notifier and the query API use (default NATS_URL or the local server on 4222). */
  natsUrl?: string;
  databaseUrl?: string;
  /** Signs and verifies every token (default: random per run). */
  jwtSecret?: string;
  /** Saga settings over its defaults (e.g. shorter payment deadlines). */
  saga?: Partial<SagaSettings>;
  /** How long the query API holds a request with X-Min-Position (default 5000 ms). */
  readYourWritesTimeoutMs?: number;
  /**
   * Also the console's origin (web/origin) in front of both APIs, with development sign-in, on
   * an ephemeral port (`webUrl`); the console is built first if web/ changed (web/build.ts).
   */
  web?: boolean;
  /** Browser origins both APIs and socket.io allow (CORS_ORIGINS); default none. */
  corsOrigins?: string[];
  /**
   * An identity provider instead of the shared secret: every service verifies with `tokens`, the
   * console offers "Sign in with …" (`console`), no development sign-in, and `token()` asks `issue`.
   */
  identityProvider?: { tokens: TokenVerifier; console: ConsoleOidc; issue(sub: string, role: Role): Promise<string> };
  /** Default `silent`, or E2E_LOG_LEVEL. */
  logLevel?: 'silent' | 'fatal' | 'error' | 'warn' | 'info' | 'debug';
}

/** What a client of the shop needs: where the APIs are, and tokens they accept. */
export interface ShopEndpoints {
  readonly commandUrl: string;
  readonly queryUrl: string;
  /** A bearer token every service accepts. */
  token(sub: string, role?: Role): Promise<string>;
}

export interface RunningSystem extends ShopEndpoints {
  /** The console's origin (with `web: true`): the console, /api/commands, /api/queries, /socket.io. */
  readonly webUrl: string | undefined;
  readonly projectorsUrl: string;
  readonly paymentSandboxUrl: string;
  readonly eventStoreUrl: string;
  readonly natsUrl: string;
  /** The notification subjects are `<prefix>.customer.<id>` and `<prefix>.admin`. */
  readonly subjectPrefix: string;
  readonly streamName: string;
  /** The read models' schema, and a connection to it (for looking at rows, e.g. the outbox). */
  readonly schema: string;
  readonly knex: Knex;
  readonly services: {
    readonly emulator: RunningEmulator;
    readonly paymentSandbox: PaymentSandbox;
    readonly saga: RunningSaga;
    readonly projectors: ProjectorService;
    readonly commandApi: HttpServer;
    readonly queryApi: QueryApi;
  };
  /** Stops everything, newest first, and removes the schema and the JetStream stream. */
  stop(): Promise<void>;
}

export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const tag = randomBytes(4).toString('hex');
  const natsUrl = options.natsUrl ?? DEFAULT_NATS_URL;
  const databaseUrl = options.databaseUrl ?? TEST_DATABASE_URL;
  const jwtSecret = options.jwtSecret ?? `e2e-secret-${randomBytes(16).toString('hex')}`;
  const schema = `e2e_${tag}`;
  const subjectPrefix = `e2e_${tag}.notifications`;
  const streamName = `E2E_${tag}`;
  const level = options.logLevel ?? (process.env.E2E_LOG_LEVEL as SystemOptions['logLevel']) ?? 'silent';
  const logger = (service: string): Logger => createLogger({ service, level });

  // Our view of the read models' schema (the projectors create and migrate it on start).
  const knex = connectPostgres({ url: databaseUrl, schema, pool: { max: 5 }, applicationName: `e2e:${schema}` });
  const cleanUp = async () => {
    // Once every service has stopped: the schema and the stream they used.
    await deleteStream(natsUrl, streamName);
    await knex
      .raw('drop schema if exists ?? cascade', [schema])
      .catch((error: unknown) => process.stderr.write(`dropping ${schema} failed: ${String(error)}\n`));
    await closePostgres(knex);
  };

  let system;
  try {
    if (options.web) await ensureConsoleBuilt();
    system = await assembleSystem({
      host: '127.0.0.1',
      ports: { commandApi: 0, queryApi: 0, paymentSandbox: 0, projectors: 0, saga: 0 },
      jwtSecret,
      eventStore: { emulator: { port: 0, persistentTickMs: 100 } },
      database: { url: databaseUrl, schema },
      bus: { nats: { url: natsUrl, subjectPrefix, streamName } },
      ...(options.saga ? { saga: options.saga } : {}),
      readYourWritesTimeoutMs: options.readYourWritesTimeoutMs ?? 5000,
      ...(options.web
        ? {
            web: {
              port: 0,
              devSignIn: !options.identityProvider,
              ...(options.identityProvider ? { oidc: options.identityProvider.console } : {}),
            },
          }
        : {}),
      ...(options.identityProvider ? { tokens: options.identityProvider.tokens } : {}),
      ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
      logger,
    });
  } catch (error) {
    await cleanUp();
    throw error;
  }
  const { services } = system;

  return {
    commandUrl: system.commandUrl,
    queryUrl: system.queryUrl,
    webUrl: system.webUrl,
    projectorsUrl: system.projectorsUrl,
    paymentSandboxUrl: system.paymentSandboxUrl,
    eventStoreUrl: system.eventStoreUrl,
    natsUrl,
    subjectPrefix,
    streamName,
    schema,
    knex,
    services: {
      emulator: services.emulator!,
      paymentSandbox: services.paymentSandbox,
      saga: services.saga,
      projectors: services.projectors,
      commandApi: services.commandApi,
      queryApi: services.queryApi,
    },
    token: options.identityProvider ? (sub, role = 'customer') => options.identityProvider!.issue(sub, role) : system.token,
    async stop() {
      await system.stop();
      await cleanUp();
    },
  };
}

/** Removes this run's JetStream stream; best effort and bounded (NATS may be down by now). */
async function deleteStream(natsUrl: string, name: string): Promise<void> {
  const attempt = (async () => {
    const nats = await connectNats({ url: natsUrl, name: 'e2e-cleanup', timeoutMs: 1000 });
    try {
      await (await nats.jetstreamManager({ timeout: 2000 })).streams.delete(name);
    } finally {
      await nats.close();
    }
  })();
  attempt.catch(() => undefined);
  await Promise.race([attempt, sleep(4000, undefined, { ref: false })]).catch(() => undefined);
}
