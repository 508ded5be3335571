/**
 * The whole checkout in one process, assembled from each service's own factory: the event store
 * (the emulator, or a server), PostgreSQL (embedded PGlite, or a server), the notification bus
 * (in process, or NATS), then the payment sandbox, the projectors, the saga, the command API and
 * the query API, each listening on its port (0: an ephemeral one), and, when asked, the console's
 * origin in front of both APIs. `npm start` (main.ts) and the
 * end-to-end tests (test/testing/system.ts) both start the system through this one function.
 *
 * The services meet only where they would in production — the event log, Postgres and the bus —
 * even here: each gets its own connections (its own knex, its own event store client), and no
 * service is handed an object of another. The embedded database and the in-process bus are the
 * one exception that cannot be avoided: they exist only inside this process, so they are shared.
 */
import { randomBytes } from 'node:crypto';
import { isIP, type AddressInfo } from 'node:net';
import { startEmulator, type RunningEmulator } from '../eventstore-emulator/emulator';
import { buildCommandApi } from '../command-api/app';
import { mintToken, sharedSecretVerifier, type Role, type TokenVerifier } from '../platform/auth';
import { loadConfig, type Env } from '../platform/config';
import { closeEventStore, connectEventStore } from '../platform/eventstore';
import { createMetricsRegistry } from '../platform/http/metrics';
import type { HttpServer } from '../platform/http';
import type { Logger } from '../platform/logger';
import { closeNats, connectNats } from '../platform/nats';
import { InProcessNotificationBus, natsNotificationSource, type NotificationSource } from '../platform/notification-bus';
import {
  closePostgres,
  connectPostgres,
  openEmbeddedPostgres,
  serveEmbeddedPostgres,
  type EmbeddedPostgres,
  type EmbeddedPostgresServer,
} from '../platform/postgres';
import { projectorsEnv, type ProjectorsConfig } from '../projectors/config';
import { startProjectorService, type ProjectorService } from '../projectors/service';
import { buildQueryApi, type QueryApi } from '../query-api/app';
import { DEFAULT_READ_YOUR_WRITES_TIMEOUT_MS } from '../query-api/config';
import { httpPaymentProvider } from '../saga/payment/http-provider';
import { createPaymentSandbox, type PaymentSandbox } from '../saga/payment-sandbox/server';
import { defaultSagaSettings, type SagaSettings } from '../saga/config';
import { buildSagaOperationsServer, startSaga, type RunningSaga } from '../saga/service';
import { consoleDistDir } from '../web/build';
import { buildWebOrigin, type ConsoleOidc } from '../web/origin/app';
import { devSignIn } from './dev-sign-in';

export interface ServicePorts {
  commandApi: number;
  queryApi: number;
  paymentSandbox: number;
  projectors: number;
  saga: number;
}

export interface SystemPlan {
  /** Where the HTTP services listen (the URLs below name 127.0.0.1 when this is 0.0.0.0). */
  host: string;
  /** 0 = an ephemeral port. */
  ports: ServicePorts;
  jwtSecret: string;
  /**
   * Verifies every service's tokens instead of `jwtSecret` (an identity provider's: oidcVerifier).
   * Unset: HS256 with `jwtSecret`, accepting lifetimes up to DEVELOPMENT_TOKEN_MAX_LIFETIME_SECONDS.
   */
  tokens?: TokenVerifier;
  /** A server (`EVENTSTORE_URL`), or the emulator in this process (with a data directory, the log survives a restart). */
  eventStore: { url: string } | { emulator: { dataDirectory?: string; host?: string; port: number; persistentTickMs?: number } };
  /** A server (`DATABASE_URL`), or PGlite in this process (in `dataDir`, or in memory). */
  database: { url: string; schema: string } | { embedded: { dataDir?: string; socket?: EmbeddedSocketPlan } };
  /** NATS (`NATS_URL`, JetStream), or the in-process bus. */
  bus: { nats: { url: string; subjectPrefix: string; streamName: string } } | { inProcess: { subjectPrefix: string } };
  saga?: Partial<SagaSettings>;
  readYourWritesTimeoutMs?: number;
  /** Browser origins allowed to call both APIs (and open a socket) from another origin; default none. */
  corsOrigins?: string[];
  /**
   * Proxies whose X-Forwarded-For (and -Host) both APIs believe (TRUST_PROXY). Default: with `web`,
   * where the console's origin reaches them from — loopback, and `host` when that is an address of
   * its own — so the failed-auth limits count browsers and socket.io's origin check sees their host.
   */
  trustProxy?: readonly string[];
  /** Further projector settings from the environment (batch size, low-stock threshold, …). */
  projectorsEnv?: Env;
  /** The console's origin (web/origin), started last; the console must be built (web/build.ts). */
  web?: { port: number; devSignIn: boolean; oidc?: ConsoleOidc };
  logger(service: string): Logger;
}

export interface AssembledSystem {
  readonly commandUrl: string;
  readonly queryUrl: string;
  readonly projectorsUrl: string;
  readonly sagaUrl: string;
  readonly paymentSandboxUrl: string;
  /** The console's origin, when the plan has `web`. */
  readonly webUrl: string | undefined;
  readonly eventStoreUrl: string;
  /** `postgres://…`, or the `pglite:` URL of the embedded database. */
  readonly databaseUrl: string;
  /** The embedded database over the wire protocol, for other processes (when the plan asks for a socket). */
  readonly databaseSocketUrl: string | undefined;
  readonly schema: string;
  /** `nats://…`, or `in-process`. */
  readonly busUrl: string;
  readonly subjectPrefix: string;
  readonly embedded: { readonly eventStore: boolean; readonly database: boolean; readonly bus: boolean };
  readonly services: {
    readonly emulator: RunningEmulator | undefined;
    readonly database: EmbeddedPostgres | undefined;
    readonly paymentSandbox: PaymentSandbox;
    readonly saga: RunningSaga;
    readonly projectors: ProjectorService;
    readonly commandApi: HttpServer;
    readonly queryApi: QueryApi;
  };
  token(sub: string, role?: Role): Promise<string>;
  /** Stops everything, newest first (also what a failed start does with what it had started). */
  stop(): Promise<void>;
}

interface Listening {
  listen(options: { port: number; host: string }): Promise<string>;
  readonly server: { address(): AddressInfo | string | null };
}

async function listen(app: Listening, host: string, port: number): Promise<string> {
  await app.listen({ port, host });
  const address = app.server.address() as AddressInfo;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`;
}

export interface EmbeddedSocketPlan {
  host: string;
  port: number;
  /** When `port` is taken, take a free one instead of failing (the default port, not one the user chose). */
  anyPortIfTaken?: boolean;
}

async function serveEmbeddedSocket(
  database: EmbeddedPostgres,
  { host, port, anyPortIfTaken = false }: EmbeddedSocketPlan,
): Promise<EmbeddedPostgresServer> {
  try {
    return await serveEmbeddedPostgres(database, { host, port });
  } catch (error) {
    if (!anyPortIfTaken || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return serveEmbeddedPostgres(database, { host, port: 0 });
  }
}

/** `npm start` prints tokens valid a week, so its services accept that long a lifetime (docs/adr/0007). */
export const DEVELOPMENT_TOKEN_MAX_LIFETIME_SECONDS = 7 * 24 * 60 * 60;

export async function assembleSystem(plan: SystemPlan): Promise<AssembledSystem> {
  const { host, ports, jwtSecret } = plan;
  const tokens = plan.tokens ?? sharedSecretVerifier({ secret: jwtSecret, maxLifetimeSeconds: DEVELOPMENT_TOKEN_MAX_LIFETIME_SECONDS });
  const trustProxy =
    plan.trustProxy ?? (plan.web ? ['loopback', ...(isIP(host) && host !== '0.0.0.0' && host !== '::' ? [host] : [])] : []);
  // Everything started so far, to stop in reverse order (also when a later start fails).
  const stops: { name: string; stop: () => Promise<unknown> }[] = [];
  const stopAll = async () => {
    for (const { name, stop } of stops.splice(0).reverse()) {
      await stop().catch((error: unknown) => process.stderr.write(`stopping ${name} failed: ${String(error)}\n`));
    }
  };

  try {
    // ---- the event log, and the clients of the two services that append to it.
    let emulator: RunningEmulator | undefined;
    let eventStoreUrl: string;
    if ('emulator' in plan.eventStore) {
      const { dataDirectory, host: emulatorHost, port, persistentTickMs } = plan.eventStore.emulator;
      emulator = await startEmulator({
        port,
        ...(emulatorHost ? { host: emulatorHost } : {}),
        ...(dataDirectory ? { dataDirectory } : {}),
        ...(persistentTickMs ? { persistentTickMs } : {}),
      });
      eventStoreUrl = emulator.url;
    } else {
      eventStoreUrl = plan.eventStore.url;
    }
    const commandClient = connectEventStore(eventStoreUrl);
    const sagaClient = connectEventStore(eventStoreUrl);
    // Disposed only after the emulator has stopped (so: after every service): @eventstore/db-client
    // 6.2.1 keeps the pending batch appends of every client of a process in one module-level map,
    // and a client's append stream ending (dispose) rejects and forgets all of them. An answer that
    // then arrives on another client's stream finds no entry and throws an uncaught TypeError
    // (batchAppend.js, `promiseBank.get(...)` is undefined), which kills the process. Stopping the
    // emulator first ends every stream at once, so no answer can come after.
    stops.push({ name: 'event store clients', stop: () => Promise.all([closeEventStore(commandClient), closeEventStore(sagaClient)]) });
    if (emulator) {
      const running = emulator;
      stops.push({ name: 'event store emulator', stop: () => running.stop() });
    }

    // ---- the read models' database.
    let database: EmbeddedPostgres | undefined;
    let databaseUrl: string;
    let databaseSocketUrl: string | undefined;
    let schema: string;
    if ('embedded' in plan.database) {
      database = await openEmbeddedPostgres(plan.database.embedded.dataDir ? { dataDir: plan.database.embedded.dataDir } : {});
      const opened = database;
      stops.push({ name: 'embedded postgres', stop: () => opened.close() });
      databaseUrl = database.url;
      schema = 'public';
      if (plan.database.embedded.socket) {
        // Stopped before the database closes (stops run newest first).
        const socket = await serveEmbeddedSocket(database, plan.database.embedded.socket);
        stops.push({ name: 'embedded postgres socket', stop: () => socket.close() });
        databaseSocketUrl = socket.url;
      }
    } else {
      ({ url: databaseUrl, schema } = plan.database);
    }

    // ---- the notification bus.
    const inProcessBus = 'inProcess' in plan.bus ? new InProcessNotificationBus({ logger: plan.logger('notification-bus') }) : undefined;
    const subjectPrefix = 'inProcess' in plan.bus ? plan.bus.inProcess.subjectPrefix : plan.bus.nats.subjectPrefix;

    // ---- the payment provider the saga calls.
    // Its key is only ever known to this process: the sandbox and the saga that calls it.
    const paymentSandboxKey = randomBytes(32).toString('hex');
    const paymentSandbox = createPaymentSandbox({ key: paymentSandboxKey });
    const paymentSandboxUrl = await listen(paymentSandbox.app, host, ports.paymentSandbox);
    stops.push({ name: 'payment sandbox', stop: () => paymentSandbox.app.close() });

    // ---- projectors: configured as the process is from its environment, but for what the plan decides.
    const projectorsConfig: ProjectorsConfig = {
      ...loadConfig(projectorsEnv, {
        ...plan.projectorsEnv,
        EVENTSTORE_URL: eventStoreUrl,
        JWT_SECRET: jwtSecret,
        // How tokens are verified is the plan's (`tokens`), not the environment's.
        OIDC_ISSUER: undefined,
        OIDC_AUDIENCE: undefined,
        OIDC_JWKS_URL: undefined,
        // Checked by the schema as a server URL; an embedded database's URL is ours, given just below.
        DATABASE_URL: database ? 'postgres://embedded' : databaseUrl,
        DATABASE_SCHEMA: schema,
        NATS_URL: 'nats' in plan.bus ? plan.bus.nats.url : 'nats://in-process',
        NOTIFICATIONS_SUBJECT_PREFIX: subjectPrefix,
        ...('nats' in plan.bus ? { NOTIFICATIONS_STREAM: plan.bus.nats.streamName } : {}),
      }),
      DATABASE_URL: databaseUrl,
    };
    const projectors = await startProjectorService(projectorsConfig, plan.logger('projectors'), {
      tokens,
      ...(inProcessBus ? { notificationBus: inProcessBus } : {}),
    });
    stops.push({ name: 'projectors', stop: () => projectors.close() });
    const projectorsUrl = await listen(projectors.app, host, ports.projectors);
    stops.push({ name: 'projectors http', stop: () => projectors.app.close() });

    // ---- the saga drives every placed order through the sandbox.
    const sagaSettings = { ...defaultSagaSettings, ...plan.saga };
    const sagaLogger = plan.logger('saga');
    const sagaRegistry = createMetricsRegistry({ service: 'saga' });
    // As saga/main.ts: a provider call may outlast the payment deadline a little, never much.
    const provider = httpPaymentProvider({
      baseUrl: paymentSandboxUrl,
      key: paymentSandboxKey,
      timeoutMs: sagaSettings.paymentDeadlineMs + 1_000,
    });
    stops.push({ name: 'payment provider', stop: () => provider.close() });
    const saga = await startSaga({
      client: sagaClient,
      provider,
      logger: sagaLogger,
      registry: sagaRegistry,
      settings: sagaSettings,
    });
    stops.push({ name: 'saga', stop: () => saga.stop() });
    const sagaOperations = await buildSagaOperationsServer({
      client: sagaClient,
      saga,
      registry: sagaRegistry,
      logger: sagaLogger,
      tokens,
    });
    const sagaUrl = await listen(sagaOperations, host, ports.saga);
    stops.push({ name: 'saga http', stop: () => sagaOperations.close() });

    // ---- command API.
    const commandApi = await buildCommandApi({
      client: commandClient,
      config: { tokens, sagaGroup: sagaSettings.group, trustProxy, ...(plan.corsOrigins ? { corsOrigins: plan.corsOrigins } : {}) },
      logger: plan.logger('command-api'),
    });
    const commandUrl = await listen(commandApi, host, ports.commandApi);
    stops.push({ name: 'command api', stop: () => commandApi.close() });

    // ---- query API, with connections of its own.
    const queryLogger = plan.logger('query-api');
    const queryKnex = connectPostgres({ url: databaseUrl, schema, pool: { max: 5 }, applicationName: `query-api:${schema}` });
    stops.push({ name: 'query-api postgres', stop: () => closePostgres(queryKnex) });
    let notifications: NotificationSource;
    if (inProcessBus) {
      notifications = inProcessBus;
    } else {
      const nats = await connectNats({ url: (plan.bus as { nats: { url: string } }).nats.url, name: `query-api:${subjectPrefix}` });
      stops.push({ name: 'query-api nats', stop: () => closeNats(nats) });
      notifications = natsNotificationSource(nats, { logger: queryLogger });
    }
    const queryApi = await buildQueryApi({
      knex: queryKnex,
      notifications,
      logger: queryLogger,
      config: {
        tokens,
        notificationsSubjectPrefix: subjectPrefix,
        readYourWritesTimeoutMs: plan.readYourWritesTimeoutMs ?? DEFAULT_READ_YOUR_WRITES_TIMEOUT_MS,
        projectorsUrl,
        trustProxy,
        ...(plan.corsOrigins ? { corsOrigins: plan.corsOrigins } : {}),
      },
    });
    const queryUrl = await listen(queryApi, host, ports.queryApi);
    stops.push({ name: 'query api', stop: () => queryApi.close() });

    // ---- the console's origin, in front of both APIs (stopped first: its sockets end before theirs).
    let webUrl: string | undefined;
    if (plan.web) {
      const origin = await buildWebOrigin({
        commandApiUrl: commandUrl,
        queryApiUrl: queryUrl,
        distDir: consoleDistDir,
        ...(plan.web.devSignIn ? { devSignIn: devSignIn(jwtSecret) } : {}),
        ...(plan.web.oidc ? { oidc: plan.web.oidc } : {}),
        logger: plan.logger('web'),
      });
      webUrl = await listen(origin, host, plan.web.port);
      stops.push({ name: 'console origin', stop: () => origin.close() });
    }

    return {
      commandUrl,
      queryUrl,
      projectorsUrl,
      sagaUrl,
      paymentSandboxUrl,
      webUrl,
      eventStoreUrl,
      databaseUrl,
      databaseSocketUrl,
      schema,
      busUrl: 'nats' in plan.bus ? plan.bus.nats.url : 'in-process',
      subjectPrefix,
      embedded: { eventStore: emulator !== undefined, database: database !== undefined, bus: inProcessBus !== undefined },
      services: { emulator, database, paymentSandbox, saga, projectors, commandApi, queryApi },
      token: (sub, role = 'customer') => mintToken({ sub, role, secret: jwtSecret }),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
