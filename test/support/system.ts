/**
 * The whole checkout in one process: a fresh event store emulator, the payment sandbox, the
 * saga, the projectors, the command API and the query API, each built by its own factory and
 * (where it serves HTTP) listening on an ephemeral port. The saga's operations endpoints
 * (/ready, /parked/replay) are assembled in saga/main.ts, not by a factory, so they are not
 * served here. The end-to-end tests start one system per file; it is also meant to become the
 * base of a one-command `npm start`. (system-processes.ts runs the same services as separate
 * processes, from their own main.ts, for the benches.)
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
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { startEmulator, type RunningEmulator } from '../../eventstore-emulator/emulator';
import { buildCommandApi } from '../../command-api/app';
import { mintToken, type Role } from '../../platform/auth';
import { loadConfig } from '../../platform/config';
import { closeEventStore, connectEventStore } from '../../platform/eventstore';
import type { HttpServer } from '../../platform/http';
import { listenOnEphemeralPort } from '../../platform/http/testing';
import { createLogger, type Logger } from '../../platform/logger';
import { closeNats, connectNats } from '../../platform/nats';
import { closePostgres, connectPostgres, type Knex } from '../../platform/postgres';
import { TEST_DATABASE_URL } from '../../platform/postgres/testing';
import { projectorsEnv } from '../../projectors/config';
import { startProjectorService, type ProjectorService } from '../../projectors/service';
import { buildQueryApi, type QueryApi } from '../../query-api/app';
import { httpPaymentProvider } from '../../saga/payment/http-provider';
import { createPaymentSandbox, type PaymentSandbox } from '../../saga/payment-sandbox/server';
import { defaultSagaSettings, startSaga, type RunningSaga, type SagaSettings } from '../../saga/service';

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

  // Everything started so far, to stop in reverse order (also when a later start fails).
  const stops: { name: string; stop: () => Promise<unknown> }[] = [];
  const stopAll = async () => {
    for (const { name, stop } of stops.splice(0).reverse()) {
      await stop().catch((error: unknown) => process.stderr.write(`stopping ${name} failed: ${String(error)}\n`));
    }
  };

  try {
    // The event log, and the clients of the two services that append to it.
    const emulator = await startEmulator({ persistentTickMs: 100 });
    const commandClient = connectEventStore(emulator.url);
    const sagaClient = connectEventStore(emulator.url);
    // Disposed only after the emulator has stopped (so: after every service): @eventstore/db-client
    // 6.2.1 keeps the pending batch appends of every client of a process in one module-level map,
    // and a client's append stream ending (dispose) rejects and forgets all of them. An answer that
    // then arrives on another client's stream finds no entry and throws an uncaught TypeError
    // (batchAppend.js, `promiseBank.get(...)` is undefined), which kills the process. Stopping the
    // emulator first ends every stream at once, so no answer can come after.
    stops.push({ name: 'event store clients', stop: () => Promise.all([closeEventStore(commandClient), closeEventStore(sagaClient)]) });
    stops.push({ name: 'event store emulator', stop: () => emulator.stop() });

    // The payment provider the saga calls.
    const paymentSandbox = createPaymentSandbox();
    const paymentSandboxUrl = await listenOnEphemeralPort(paymentSandbox.app);
    stops.push({ name: 'payment sandbox', stop: () => paymentSandbox.app.close() });

    // The read models' schema (the projectors create and migrate it on start) and our view of it.
    const knex = connectPostgres({ url: databaseUrl, schema, pool: { max: 5 }, applicationName: `e2e:${schema}` });
    stops.push({ name: 'postgres', stop: () => closePostgres(knex) });
    stops.push({ name: 'read-model schema', stop: () => knex.raw('drop schema if exists ?? cascade', [schema]) });

    // Projectors: configured exactly as the process would be from its environment. Their notifier
    // creates the JetStream stream; it is removed once they have stopped.
    stops.push({ name: 'jetstream stream', stop: () => deleteStream(natsUrl, streamName) });
    const projectors = await startProjectorService(
      loadConfig(projectorsEnv, {
        EVENTSTORE_URL: emulator.url,
        DATABASE_URL: databaseUrl,
        DATABASE_SCHEMA: schema,
        NATS_URL: natsUrl,
        NOTIFICATIONS_SUBJECT_PREFIX: subjectPrefix,
        NOTIFICATIONS_STREAM: streamName,
      }),
      logger('projectors'),
    );
    stops.push({ name: 'projectors', stop: () => projectors.close() });
    const projectorsUrl = await listenOnEphemeralPort(projectors.app);
    stops.push({ name: 'projectors http', stop: () => projectors.app.close() });

    // The saga drives every placed order through the sandbox.
    const sagaSettings = { ...defaultSagaSettings, ...options.saga };
    const saga = await startSaga({
      client: sagaClient,
      // As saga/main.ts: a provider call may outlast the payment deadline a little, never much.
      provider: httpPaymentProvider({ baseUrl: paymentSandboxUrl, timeoutMs: sagaSettings.paymentDeadlineMs + 1_000 }),
      logger: logger('saga'),
      registry: new Registry(),
      settings: sagaSettings,
    });
    stops.push({ name: 'saga', stop: () => saga.stop() });

    // Command API.
    const commandApi = await buildCommandApi({ client: commandClient, config: { jwtSecret }, logger: logger('command-api') });
    const commandUrl = await listenOnEphemeralPort(commandApi);
    stops.push({ name: 'command api', stop: () => commandApi.close() });

    // Query API, with its own NATS connection (the first connection is the caller's to make).
    const nats = await connectNats({ url: natsUrl, name: `e2e-query-api-${tag}` });
    stops.push({ name: 'query-api nats', stop: () => closeNats(nats) });
    const queryApi = await buildQueryApi({
      knex,
      nats,
      logger: logger('query-api'),
      config: { jwtSecret, notificationsSubjectPrefix: subjectPrefix, readYourWritesTimeoutMs: options.readYourWritesTimeoutMs ?? 5000 },
    });
    const queryUrl = await listenOnEphemeralPort(queryApi);
    stops.push({ name: 'query api', stop: () => queryApi.close() });

    return {
      commandUrl,
      queryUrl,
      projectorsUrl,
      paymentSandboxUrl,
      eventStoreUrl: emulator.url,
      natsUrl,
      subjectPrefix,
      streamName,
      schema,
      knex,
      services: { emulator, paymentSandbox, saga, projectors, commandApi, queryApi },
      token: (sub, role = 'customer') => mintToken({ sub, role, secret: jwtSecret }),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
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
  await Promise.race([attempt, new Promise((resolve) => setTimeout(resolve, 4000).unref())]).catch(() => undefined);
}
