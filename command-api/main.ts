/**
 * `npm run start:command-api`: the command API as a process. Configuration comes from the
 * environment (config.ts); a bad value stops it before anything starts, naming the variable.
 * On SIGTERM/SIGINT it stops listening, lets in-flight requests finish, then closes the event
 * store client.
 */
import { verifierFromEnv } from '../platform/auth';
import { loadConfigOrExit } from '../platform/config';
import { closeEventStore, connectEventStore } from '../platform/eventstore';
import { installGracefulShutdown } from '../platform/http';
import { metricsListenerOf } from '../platform/http/metrics-listener';
import { createLogger } from '../platform/logger';
import { buildCommandApi } from './app';
import { commandApiEnv } from './config';

const env = loadConfigOrExit(commandApiEnv);
const logger = createLogger({ service: 'command-api', level: env.LOG_LEVEL });
const client = connectEventStore(env.EVENTSTORE_URL);

const app = await buildCommandApi({
  client,
  config: {
    tokens: verifierFromEnv(env),
    sagaGroup: env.SAGA_GROUP,
    authFailuresPerMinute: env.AUTH_FAILURES_PER_MINUTE,
    commandsPerMinute: env.COMMAND_RATE_LIMIT_PER_MINUTE,
    ...(env.CORS_ORIGINS ? { corsOrigins: env.CORS_ORIGINS } : {}),
    ...(env.TRUST_PROXY ? { trustProxy: env.TRUST_PROXY } : {}),
    ...(metricsListenerOf(env) ? { metricsListener: metricsListenerOf(env)! } : {}),
  },
  logger,
});
const shutdown = installGracefulShutdown({ server: app, logger });
// Registered first, so it runs last: after the server has answered every request in flight.
shutdown.onClose('eventstore client', () => closeEventStore(client));

try {
  await app.listen({ port: env.COMMAND_API_PORT, host: env.HOST });
} catch (error) {
  logger.fatal({ err: error }, 'could not listen');
  await closeEventStore(client);
  process.exit(1);
}
