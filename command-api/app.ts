/**
 * The command API: one fastify app, one route per use case (`products/registering`, ...), each
 * route beside its handler. Built from its dependencies so that tests, the bench and main.ts all
 * run the same app; time and ids come in from outside (the domain never reads a clock).
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import { registerAuth, tokensOf } from '../platform/auth';
import { inventoryCodec, inventoryDecider, orderCodec, orderDecider } from '../domain';
import { commandHandler, eventStoreReadinessCheck, type ConflictRetry } from '../platform/eventstore';
import { createHttpServer, createMetricsRegistry, type HttpServer } from '../platform/http';
import type { Logger } from '../platform/logger';
import { perUserLimit } from '../platform/http/rate-limits';
import { DEFAULT_COMMANDS_PER_MINUTE, DEFAULT_SAGA_GROUP, type CommandApiConfig } from './config';
import { instrumentEventStoreClient } from './observability/eventstore-metrics';
import { sagaParkedRoutes } from './operations/saga-parked/route';
import { cancellingRoute } from './orders/cancelling/route';
import { placingRoute } from './orders/placing/route';
import { changingPriceRoute } from './products/changing-price/route';
import { receivingStockRoute } from './products/receiving-stock/route';
import { registeringRoute } from './products/registering/route';
import type { CommandDeps } from './shared/command';
import { IdempotencyStore, type IdempotencySettings } from './shared/idempotency';

export interface CommandApiOptions {
  client: EventStoreDBClient;
  config: CommandApiConfig;
  logger: Logger;
  clock?: () => Date;
  newId?: () => string;
  /** Overrides for tests (short leases and waits). */
  idempotency?: Partial<IdempotencySettings>;
  /** How a version conflict is retried (default `'conflicts'`). */
  retryPolicy?: ConflictRetry;
}

/**
 * Every route that changes state is limited per user, after its role guard (so the limit keys on
 * the verified `sub`). Registered before the routes: `onRoute` sees each as it is added.
 */
function limitCommandsPerUser(app: HttpServer, perMinute: number): void {
  const limit = perUserLimit(app, perMinute);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((method) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method))) return;
    const before = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    route.preHandler = [...before, limit as never];
  });
}

/**
 * Commands that may be decided again (register, receive stock, change price, cancel) retry on
 * conflict with the platform's `'conflicts'` policy (12 attempts, full-jitter backoff). Within one
 * process, commands on one stream are queued (by their handler), so a conflict needs another
 * writer: another command-api instance or the saga. A handful of those per stream is what the
 * policy was sized for. Placing an order states its own: a new stream, never retried.
 */
function commandHandlers(
  client: EventStoreDBClient,
  { retryPolicy: retry = 'conflicts', logger }: CommandApiOptions,
): Pick<CommandDeps, 'inventory' | 'orders'> {
  return {
    inventory: commandHandler({ client, decider: inventoryDecider, codec: inventoryCodec, retry, logger }),
    orders: commandHandler({ client, decider: orderDecider, codec: orderCodec, retry, logger }),
  };
}

export async function buildCommandApi(options: CommandApiOptions): Promise<HttpServer> {
  const metricsRegistry = createMetricsRegistry({ service: 'command-api' });
  const client = instrumentEventStoreClient(options.client, metricsRegistry);
  const app = await createHttpServer({
    logger: options.logger,
    metricsRegistry,
    readinessChecks: [eventStoreReadinessCheck(options.client)],
    ...(options.config.corsOrigins ? { corsOrigins: options.config.corsOrigins } : {}),
    ...(options.config.trustProxy ? { trustProxy: options.config.trustProxy } : {}),
    ...(options.config.metricsListener ? { metricsListener: options.config.metricsListener } : {}),
    docs: {
      title: 'Checkout command API',
      version: '0.1.0',
      description:
        "Commands of the checkout: products, stock, orders; and, for operators, the saga's parked events. Errors are application/problem+json (RFC 9457). See docs/COMMAND-API.md.",
    },
  });
  registerAuth(app, {
    tokens: tokensOf(options.config),
    ...(options.config.authFailuresPerMinute ? { failuresPerMinute: options.config.authFailuresPerMinute } : {}),
  });
  limitCommandsPerUser(app, options.config.commandsPerMinute ?? DEFAULT_COMMANDS_PER_MINUTE);

  const clock = options.clock ?? (() => new Date());
  const deps: CommandDeps = {
    client,
    logger: options.logger,
    clock,
    newId: options.newId ?? (() => crypto.randomUUID()),
    idempotency: new IdempotencyStore({ client, clock, logger: options.logger, settings: options.idempotency }),
    ...commandHandlers(client, options),
  };

  registeringRoute(app, deps);
  changingPriceRoute(app, deps);
  receivingStockRoute(app, deps);
  placingRoute(app, deps);
  cancellingRoute(app, deps);
  sagaParkedRoutes(app, deps, options.config.sagaGroup ?? DEFAULT_SAGA_GROUP);
  return app;
}
