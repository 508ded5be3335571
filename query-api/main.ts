/**
 * The query API process: `npm run start:query-api`. Configuration from the environment
 * (config.ts); SIGTERM/SIGINT close it gracefully (in-flight requests finish, sockets are told to
 * reconnect elsewhere, then Postgres and NATS close).
 */
import { verifierFromEnv } from '../platform/auth';
import { loadConfigOrExit } from '../platform/config';
import { installGracefulShutdown } from '../platform/http';
import { metricsListenerOf } from '../platform/http/metrics-listener';
import { createLogger } from '../platform/logger';
import { closeNats, connectNats, type NatsConnection } from '../platform/nats';
import { natsNotificationSource } from '../platform/notification-bus';
import { closePostgres, connectPostgres } from '../platform/postgres';
import { buildQueryApi } from './app';
import { queryApiEnv } from './config';

const config = loadConfigOrExit(queryApiEnv);
const logger = createLogger({ service: 'query-api', level: config.LOG_LEVEL });

const knex = connectPostgres({
  url: config.DATABASE_URL,
  applicationName: 'query-api',
  ...(config.DATABASE_SCHEMA ? { schema: config.DATABASE_SCHEMA } : {}),
});

// The first NATS connection is ours to retry (the client reconnects by itself afterwards).
async function connectNatsWithRetry(): Promise<NatsConnection> {
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await connectNats({ url: config.NATS_URL, name: 'query-api' });
    } catch (error) {
      logger.warn({ err: error, retryInMs: delay }, 'NATS is not reachable yet');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
const nats = await connectNatsWithRetry();

const app = await buildQueryApi({
  knex,
  notifications: natsNotificationSource(nats, { logger }),
  logger,
  config: {
    tokens: verifierFromEnv(config),
    authFailuresPerMinute: config.AUTH_FAILURES_PER_MINUTE,
    readYourWritesTimeoutMs: config.READ_YOUR_WRITES_TIMEOUT_MS,
    notificationsSubjectPrefix: config.NOTIFICATIONS_SUBJECT_PREFIX,
    ...(config.CORS_ORIGINS ? { corsOrigins: config.CORS_ORIGINS } : {}),
    ...(config.TRUST_PROXY ? { trustProxy: config.TRUST_PROXY } : {}),
    ...(config.PROJECTORS_URL ? { projectorsUrl: config.PROJECTORS_URL } : {}),
    ...(metricsListenerOf(config) ? { metricsListener: metricsListenerOf(config)! } : {}),
  },
});

const shutdown = installGracefulShutdown({ server: app, logger });
shutdown.onClose('postgres', () => closePostgres(knex));
shutdown.onClose('nats', () => closeNats(nats));

await app.listen({ port: config.QUERY_API_PORT, host: config.HOST });
