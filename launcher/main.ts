/**
 * `npm start`: the whole checkout in one process, on embedded defaults — the event store
 * emulator, PostgreSQL as PGlite, an in-process notification bus — each replaced by a real server
 * when EVENTSTORE_URL, DATABASE_URL or NATS_URL is set — and the console's origin in front of it
 * (the console built first when web/ changed). Prints the URLs and two tokens to try it with;
 * Ctrl-C (SIGINT) or SIGTERM stops everything and exits 0. docs/RUNNING.md says more.
 */
import { loadConfigOrExit, loadConfig } from '../platform/config';
import { mintToken } from '../platform/auth';
import { installGracefulShutdown } from '../platform/http/shutdown';
import { createLogger } from '../platform/logger';
import { sagaEnv } from '../saga/config';
import { launcherEnv } from './config';
import { DataDirectoryInUseError, dataDirectory, lockDataDirectory, storedJwtSecret } from './data-dir';
import { assembleSystem, type AssembledSystem } from './system';
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

const jwt = config.JWT_SECRET ? { secret: config.JWT_SECRET, created: false } : storedJwtSecret(directory);

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

// Dev sign-in only with a secret of our own making: a JWT_SECRET someone set may be trusted elsewhere.
const devSignIn = !config.JWT_SECRET;

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
    jwtSecret: jwt.secret,
    eventStore: config.EVENTSTORE_URL
      ? { url: config.EVENTSTORE_URL }
      : { emulator: { dataDirectory: directory.eventStore, host: config.HOST === '0.0.0.0' ? '0.0.0.0' : '127.0.0.1', port: config.EVENTSTORE_EMULATOR_PORT } },
    database: config.DATABASE_URL ? { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA } : { embedded: { dataDir: directory.postgres } },
    bus: config.NATS_URL
      ? { nats: { url: config.NATS_URL, subjectPrefix: config.NOTIFICATIONS_SUBJECT_PREFIX, streamName: config.NOTIFICATIONS_STREAM } }
      : { inProcess: { subjectPrefix: config.NOTIFICATIONS_SUBJECT_PREFIX } },
    saga: {
      group: sagaConfig.SAGA_GROUP,
      paymentDeadlineMs: sagaConfig.PAYMENT_DEADLINE_MS,
      checkoutDeadlineMs: sagaConfig.CHECKOUT_DEADLINE_MS,
      bufferSize: sagaConfig.SAGA_BUFFER_SIZE,
      maxRetryCount: sagaConfig.SAGA_MAX_RETRY_COUNT,
      stepAttempts: sagaConfig.SAGA_STEP_ATTEMPTS,
      retryBackoff: { initialMs: sagaConfig.SAGA_RETRY_INITIAL_MS, maxMs: sagaConfig.SAGA_RETRY_MAX_MS },
    },
    readYourWritesTimeoutMs: config.READ_YOUR_WRITES_TIMEOUT_MS,
    ...(config.CORS_ORIGINS ? { corsOrigins: config.CORS_ORIGINS } : {}),
    projectorsEnv: process.env,
    web: { port: config.WEB_PORT, devSignIn },
    logger: (service) => createLogger({ service, level: config.LOG_LEVEL }),
  });
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`npm start: could not start the checkout: ${message}\n`);
  if (/EADDRINUSE/.test(message)) process.stderr.write('A port is taken: stop what uses it, or set WEB_PORT, COMMAND_API_PORT, QUERY_API_PORT, … (docs/RUNNING.md).\n');
  lock.release();
  process.exit(1);
}
shutdown.onClose('checkout services', () => system.stop());
started = true;
if (firstSignalAt !== undefined) await shutdown.shutdown('signal during start');

const week = '7d';
const [adminToken, customerToken] = await Promise.all([
  mintToken({ sub: 'admin', role: 'admin', secret: jwt.secret, expiresIn: week }),
  mintToken({ sub: 'alice', role: 'customer', secret: jwt.secret, expiresIn: week }),
]);
// A password in a server URL is not printed.
const where = (embedded: boolean, what: string, url: string) => (embedded ? `${what} (embedded)` : url.replace(/\/\/[^@/]*@/, '//…@'));
out('');
out('Checkout is running.');
out(`  console           ${system.webUrl}   (${devSignIn ? 'sign in as any user, development only' : 'paste a token: JWT_SECRET is set, so no development sign-in'})`);
out(`  command API       ${system.commandUrl}        (docs: ${system.commandUrl}/docs)`);
out(`  query API         ${system.queryUrl}        (socket.io on the same port; docs: ${system.queryUrl}/docs)`);
out(`  payment sandbox   ${system.paymentSandboxUrl}`);
out(`  projectors        ${system.projectorsUrl}/projections`);
out(`  saga              ${system.sagaUrl}/ready`);
out(`  event store       ${where(system.embedded.eventStore, `${system.eventStoreUrl} emulator`, system.eventStoreUrl)}`);
out(`  read models       ${where(system.embedded.database, `PGlite in ${directory.postgres}`, system.databaseUrl)}`);
out(`  notifications     ${where(system.embedded.bus, 'in-process bus', system.busUrl)}`);
out('');
out(`Tokens (valid ${week}; ${config.JWT_SECRET ? 'signed with JWT_SECRET' : `secret ${jwt.created ? 'generated and kept' : 'kept'} in ${directory.jwtSecretFile}`}):`);
out(`  ADMIN=${adminToken}`);
out(`  ALICE=${customerToken}`);
out('');
out('Try it: npm run demo   (in another terminal)');
out('Ctrl-C stops everything.');
out('READY');
