/**
 * The query API: read models over HTTP, notifications over socket.io, one fastify instance.
 * `buildQueryApi` wires it from connections it is given (main.ts opens them from the environment;
 * tests open them on their own schema), so it can run against anything that has the read models.
 */
import type { Knex } from 'knex';
import { registerAuth, tokensOf, type TokenSource } from '../platform/auth';
import { createHttpServer, createMetricsRegistry, type HttpServer } from '../platform/http';
import type { MetricsListenerOptions } from '../platform/http/metrics-listener';
import { DEFAULT_AUTH_FAILURES_PER_MINUTE } from '../platform/config';
import { failureLimiter } from '../platform/http/rate-limits';
import type { Logger } from '../platform/logger';
import type { NotificationSource } from '../platform/notification-bus';
import { postgresReadinessCheck } from '../platform/postgres';
import { registerGetCheckout } from './checkouts/get-checkout/route';
import { CheckpointWatcher } from './consistency/checkpoint-watcher';
import { createReadYourWrites } from './consistency/read-your-writes';
import { DEFAULT_READ_YOUR_WRITES_TIMEOUT_MS } from './config';
import { registerListNotifications } from './notifications/list-notifications/route';
import { registerGetOrder } from './orders/get-order/route';
import { registerListOrders } from './orders/list-orders/route';
import { registerGetProduct } from './products/get-product/route';
import { registerProjectionStatus } from './operations/projections/route';
import { registerListProducts } from './products/list-products/route';
import { NotificationGateway } from './realtime/gateway';
import type { RouteDeps } from './shared/deps';
import { registerSalesStats } from './stats/sales/route';

/** How tokens are checked (`tokens`: verifierFromEnv; `jwtSecret` in tests), and the settings below. */
export type QueryApiSettings = TokenSource & QueryApiOptions;

export interface QueryApiOptions {
  /** Refused tokens (HTTP and socket handshakes) per client address and minute before 429 / refusal (default 120). */
  authFailuresPerMinute?: number;
  /** Serve `/metrics` on a listener of its own (METRICS_PORT/OPS_HOST) instead of the public port. */
  metricsListener?: MetricsListenerOptions;
  /** Default 5000 ms. */
  readYourWritesTimeoutMs?: number;
  /** Default `notifications`. */
  notificationsSubjectPrefix?: string;
  /** Browser origins allowed to call the API and open a socket from another origin (`CORS_ORIGINS`); default none. */
  corsOrigins?: readonly string[];
  /** Proxies whose X-Forwarded-For names the client, HTTP and socket handshakes alike (`TRUST_PROXY`); default none. */
  trustProxy?: readonly string[];
  /** The projector service's HTTP base URL, for GET /operations/projections (`PROJECTORS_URL`); unset: 503. */
  projectorsUrl?: string;
  /** Longest wait for the projector service (default 3000 ms). */
  projectorsTimeoutMs?: number;
  /** Changed rows read per read model and round for the socket's live changes (default 200). */
  maxChangedRowsPerQuery?: number;
}

export interface QueryApiDeps {
  knex: Knex;
  /** Where the notifier's messages arrive: NATS (natsNotificationSource) or the in-process bus. */
  notifications: NotificationSource;
  config: QueryApiSettings;
  logger: Logger;
}

export type QueryApi = HttpServer & { notifications: NotificationGateway };

export async function buildQueryApi({ knex, notifications, config, logger }: QueryApiDeps): Promise<QueryApi> {
  const metricsRegistry = createMetricsRegistry({ service: 'query-api' });
  const app = await createHttpServer({
    logger,
    metricsRegistry,
    readinessChecks: [postgresReadinessCheck(knex), notifications.readinessCheck()],
    ...(config.corsOrigins ? { corsOrigins: config.corsOrigins } : {}),
    ...(config.trustProxy ? { trustProxy: config.trustProxy } : {}),
    ...(config.metricsListener ? { metricsListener: config.metricsListener } : {}),
    docs: {
      title: 'Checkout query API',
      version: '1.0.0',
      description:
        'Read models of the checkout (orders, products, checkouts, notifications, sales), projection status for operators, ' +
        'and a socket.io stream of notifications and read-model changes (see docs/QUERY-API.md). ' +
        'Send X-Min-Position (the position a command answered) to read your own write.',
    },
  });
  const failuresPerMinute = config.authFailuresPerMinute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE;
  const tokens = tokensOf(config);
  registerAuth(app, { tokens, failuresPerMinute });

  const watcher = new CheckpointWatcher(knex, { logger });
  const deps: RouteDeps = {
    knex,
    readYourWrites: createReadYourWrites({ watcher, timeoutMs: config.readYourWritesTimeoutMs ?? DEFAULT_READ_YOUR_WRITES_TIMEOUT_MS }),
    signedIn: app.requireRole('customer', 'admin'),
    adminOnly: app.requireRole('admin'),
  };
  registerGetOrder(app, deps);
  registerListOrders(app, deps);
  registerListProducts(app, deps);
  registerGetProduct(app, deps);
  registerGetCheckout(app, deps);
  registerListNotifications(app, deps);
  registerSalesStats(app, deps);
  registerProjectionStatus(app, deps, {
    url: config.projectorsUrl,
    ...(config.projectorsTimeoutMs ? { timeoutMs: config.projectorsTimeoutMs } : {}),
  });

  const gateway = new NotificationGateway({
    httpServer: app.server,
    knex,
    bus: notifications,
    tokens,
    subjectPrefix: config.notificationsSubjectPrefix ?? 'notifications',
    logger,
    metricsRegistry,
    ...(config.corsOrigins?.length ? { corsOrigins: config.corsOrigins } : {}),
    ...(config.trustProxy?.length ? { trustProxy: config.trustProxy } : {}),
    checkpointMoves: watcher,
    handshakeFailures: failureLimiter(app, { max: failuresPerMinute }),
    ...(config.maxChangedRowsPerQuery ? { maxChangedRowsPerQuery: config.maxChangedRowsPerQuery } : {}),
  }).start();
  // Before the HTTP server stops: open sockets would otherwise keep it from closing.
  app.addHook('preClose', async () => {
    await gateway.close();
    watcher.close();
  });

  return Object.assign(app, { notifications: gateway });
}
