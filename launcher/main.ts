/**
 * `npm start`: the whole checkout in one process, on embedded defaults — the event store
 * emulator, PostgreSQL as PGlite, an in-process notification bus — each replaced by a real server
 * when EVENTSTORE_URL, DATABASE_URL or NATS_URL is set — and the console's origin in front of it
 * (the console built first when web/ changed). Prints the URLs and two tokens to try it with
 * (none with OIDC_ISSUER: then the identity provider's tokens are the only ones accepted); Ctrl-C (SIGINT) or SIGTERM stops everything and exits 0. docs/RUNNING.md says more.
 */
import { randomBytes } from 'node:crypto';
import { loadConfigOrExit } from '../platform/config';
import { mintToken, verifierFromEnv } from '../platform/auth';
import { installGracefulShutdown } from '../platform/http/shutdown';
import { createLogger } from '../platform/logger';
import { sagaEnv, sagaSettingsOf } from '../saga/config';
import { launcherEnv } from './config';
import { DataDirectoryInUseError, dataDirectory, lockDataDirectory, storedJwtSecret } from '../platform/local-system/data-dir';
import { assembleSystem, type AssembledSystem } from './system';
import { removeSystemFile, withoutPassword, writeSystemFile } from '../platform/local-system/system-file';
import { ensureConsoleBuilt } from '../web/build';

const config = loadConfigOrExit(launcherEnv);
// The saga's own settings (deadlines, retries) from the same variables as `npm run start:saga`.
const sagaConfig = loadConfigOrExit(sagaEnv);
const logger = createLogger({ service: 'launcher', level: config.LOG_LEVEL });
const out = (line = '') => process.stdout.write(`${line}\n`);

const directory = dataDirectory(config.CHECKOUT_DATA_DIR);
let lock: { release(): void };
try {
  lock = lockDataDirectory(directory);
} catch (error) {
  if (!(error instanceof DataDirectoryInUseError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

// With an identity provider its tokens are the only ones: no secret is kept, none is printed.
const identityProvider = config.OIDC_ISSUER
  ? {
      issuer: config.OIDC_ISSUER,
      tokens: verifierFromEnv(config),
      console: config.OIDC_CONSOLE_CLIENT_ID
        ? {
            issuer: config.OIDC_ISSUER,
            clientId: config.OIDC_CONSOLE_CLIENT_ID,
            rolesClaim: config.OIDC_ROLES_CLAIM,
            ...(config.OIDC_CONSOLE_SCOPE ? { scope: config.OIDC_CONSOLE_SCOPE } : {}),
          }
        : undefined,
    }
  : undefined;
const jwt = identityProvider ? undefined : config.JWT_SECRET ? { secret: config.JWT_SECRET, created: false } : storedJwtSecret(directory);

// Signals are ours to handle (not installGracefulShutdown's): a Ctrl-C reaches every process of
// the terminal's group, and npm forwards it too, so one keypress can arrive twice. Only a signal
// well after the first one means "stop waiting, exit now".
const shutdown = installGracefulShutdown({ logger, signals: [], timeoutMs: 30_000 });
shutdown.onClose('data directory lock', () => lock.release());
let firstSignalAt: number | undefined;
// A signal during the start waits for it to finish: stopping half-opened storage is how files get torn.
let started = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      out(`\n${signal}: stopping every service${started ? '' : ' once they have started'}…`);
      if (started) void shutdown.shutdown(signal);
    } else if (Date.now() - firstSignalAt > 1_000) {
      process.stderr.write('second signal: exiting without waiting\n');
      process.exit(1);
    }
  });
}

// Dev sign-in only with a secret of our own making: a JWT_SECRET someone set may be trusted elsewhere,
// and beside an identity provider it would mint tokens the provider never issued.
const devSignIn = jwt !== undefined && !config.JWT_SECRET;

let system: AssembledSystem;
try {
  out(`Starting the checkout (data in ${directory.path}) …`);
  // Built only when web/ changed since the last build; says so, since that start is slower.
  await ensureConsoleBuilt({ log: (text) => process.stdout.write(text) });
  system = await assembleSystem({
    host: config.HOST,
    ports: {
      commandApi: config.COMMAND_API_PORT,
      queryApi: config.QUERY_API_PORT,
      paymentSandbox: config.PAYMENT_SANDBOX_PORT,
      projectors: config.PROJECTORS_PORT,
      saga: config.SAGA_PORT,
    },
    // With a provider this secret verifies nothing (`tokens` does); it only fills the projectors' settings.
    jwtSecret: jwt?.secret ?? randomBytes(32).toString('hex'),
    ...(identityProvider ? { tokens: identityProvider.tokens } : {}),
    eventStore: config.EVENTSTORE_URL
      ? { url: config.EVENTSTORE_URL }
      : {
          emulator: {
            dataDirectory: directory.eventStore,
            host: config.HOST === '0.0.0.0' ? '0.0.0.0' : '127.0.0.1',
            port: config.EVENTSTORE_EMULATOR_PORT,
          },
        },
    database: config.DATABASE_URL
      ? { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA }
      : // Loopback whatever HOST says: the socket asks for no password (docs/adr/0008).
        {
          embedded: {
            dataDir: directory.postgres,
            socket: { host: '127.0.0.1', port: config.EMBEDDED_PG_PORT, anyPortIfTaken: process.env.EMBEDDED_PG_PORT === undefined },
          },
        },
    bus: config.NATS_URL
      ? { nats: { url: config.NATS_URL, subjectPrefix: config.NOTIFICATIONS_SUBJECT_PREFIX, streamName: config.NOTIFICATIONS_STREAM } }
      : { inProcess: { subjectPrefix: config.NOTIFICATIONS_SUBJECT_PREFIX } },
    saga: sagaSettingsOf(sagaConfig),
    readYourWritesTimeoutMs: config.READ_YOUR_WRITES_TIMEOUT_MS,
    ...(config.CORS_ORIGINS ? { corsOrigins: config.CORS_ORIGINS } : {}),
    projectorsEnv: process.env,
    web: { port: config.WEB_PORT, devSignIn, ...(identityProvider?.console ? { oidc: identityProvider.console } : {}) },
    logger: (service) => createLogger({ service, level: config.LOG_LEVEL }),
  });
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`npm start: could not start the checkout: ${message}\n`);
  if (/EADDRINUSE/.test(message))
    process.stderr.write(
      'A port is taken: stop what uses it, or set WEB_PORT, COMMAND_API_PORT, QUERY_API_PORT, …, EMBEDDED_PG_PORT (docs/RUNNING.md).\n',
    );
  lock.release();
  process.exit(1);
}
shutdown.onClose('checkout services', () => system.stop());
started = true;
if (firstSignalAt !== undefined) await shutdown.shutdown('signal during start');

const week = '7d';
const [adminToken, customerToken] = jwt
  ? await Promise.all([
      mintToken({ sub: 'admin', role: 'admin', secret: jwt.secret, expiresIn: week }),
      mintToken({ sub: 'alice', role: 'customer', secret: jwt.secret, expiresIn: week }),
    ])
  : [];
const signIn = identityProvider
  ? identityProvider.console
    ? `sign in with ${identityProvider.issuer}`
    : `paste a token from ${identityProvider.issuer}: OIDC_CONSOLE_CLIENT_ID is not set`
  : devSignIn
    ? 'sign in as any user, development only'
    : 'paste a token: JWT_SECRET is set, so no development sign-in';
// A password in a server URL is not printed.
const where = (embedded: boolean, what: string, url: string) => (embedded ? `${what} (embedded)` : url.replace(/\/\/[^@/]*@/, '//…@'));
out('');
out('Checkout is running.');
out(`  console           ${system.webUrl}   (${signIn})`);
out(`  command API       ${system.commandUrl}        (docs: ${system.commandUrl}/docs)`);
out(`  query API         ${system.queryUrl}        (socket.io on the same port; docs: ${system.queryUrl}/docs)`);
out(`  payment sandbox   ${system.paymentSandboxUrl}`);
out(`  projectors        ${system.projectorsUrl}/projections`);
out(`  saga              ${system.sagaUrl}/ready`);
out(`  event store       ${where(system.embedded.eventStore, `${system.eventStoreUrl} emulator`, system.eventStoreUrl)}`);
out(`  read models       ${where(system.embedded.database, `PGlite in ${directory.postgres}`, system.databaseUrl)}`);
if (system.databaseSocketUrl)
  out(`                    psql ${system.databaseSocketUrl}   (npm run replay finds it: ${directory.path}/system.json)`);
out(`  notifications     ${where(system.embedded.bus, 'in-process bus', system.busUrl)}`);
out('');
if (jwt) {
  out(
    `Tokens (valid ${week}; ${config.JWT_SECRET ? 'signed with JWT_SECRET' : `secret ${jwt.created ? 'generated and kept' : 'kept'} in ${directory.jwtSecretFile}`}):`,
  );
  out(`  ADMIN=${adminToken}`);
  out(`  ALICE=${customerToken}`);
  out('');
  out('Try it: npm run demo   (in another terminal)');
} else {
  // The demo and these tokens are signed with a shared secret, which the services now refuse.
  out(
    `Tokens: from ${config.OIDC_ISSUER} only (audience ${config.OIDC_AUDIENCE!.join(', ')}, roles in \`${config.OIDC_ROLES_CLAIM}\`); none printed, and npm run demo needs JWT_SECRET.`,
  );
}
out('Ctrl-C stops everything.');
// Last, so a system.json always describes a system that has started; removed before anything stops.
writeSystemFile(directory, {
  pid: process.pid,
  startedAt: new Date().toISOString(),
  dataDir: directory.path,
  commandUrl: system.commandUrl,
  queryUrl: system.queryUrl,
  ...(system.webUrl ? { consoleUrl: system.webUrl } : {}),
  projectorsUrl: system.projectorsUrl,
  sagaUrl: system.sagaUrl,
  eventStoreUrl: withoutPassword(system.eventStoreUrl),
  databaseUrl: withoutPassword(system.databaseSocketUrl ?? system.databaseUrl),
  databaseSchema: system.schema,
  busUrl: withoutPassword(system.busUrl),
  embedded: system.embedded,
  jwtSecretInDataDir: devSignIn,
});
shutdown.onClose('system.json', () => removeSystemFile(directory));
out('READY');
