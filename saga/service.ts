/**
 * One saga process, assembled: the persistent-subscription consumer that drives checkouts, the
 * deadline watcher, and their metrics; and its operations HTTP server. `saga/main.ts` runs it
 * as a process; `npm start` and tests run one or several in-process.
 */
import type { EventStoreDBClient, ResolvedEvent } from '@eventstore/db-client';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { eventStoreReadinessCheck } from '../platform/eventstore';
import { registerAuth, tokensOf, type TokenSource } from '../platform/auth';
import { problemDetailsSchema } from '../platform/http/problem';
import type { MetricsListenerOptions } from '../platform/http/metrics-listener';
import { createHttpServer, type HttpServer } from '../platform/http/server';
import {
  consumePersistentSubscriptionToAll,
  ensurePersistentSubscriptionToAll,
  replayParked,
  type RunningConsumer,
} from '../platform/eventstore/persistent-subscription';
import type { Logger } from '../platform/logger';
import { CheckoutProcess } from './checkout-process';
import { DELIVERED_EVENT_TYPES } from './delivered-events';
import { defaultSagaSettings, type SagaSettings } from './config';
import { DeadlineWatcher } from './deadlines';
import { createSagaMetrics, type SagaMetrics } from './metrics';
import type { PaymentProvider } from './payment/port';

export interface SagaOptions {
  client: EventStoreDBClient;
  provider: PaymentProvider;
  logger: Logger;
  registry: Registry;
  settings?: Partial<SagaSettings>;
  boundary?: (point: string) => void;
  /** Test hook: wraps the handler, e.g. to deliver every event twice. */
  interceptDelivery?: (handle: (event: ResolvedEvent) => Promise<void>) => (event: ResolvedEvent) => Promise<void>;
}

export interface RunningSaga {
  readonly process: CheckoutProcess;
  readonly watcher: DeadlineWatcher;
  readonly metrics: SagaMetrics;
  readonly settings: SagaSettings;
  /** Connected to the group and every pending deadline armed. */
  ready(): boolean;
  replayParked(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSaga(options: SagaOptions): Promise<RunningSaga> {
  const settings = { ...defaultSagaSettings, ...options.settings };
  const { client, logger } = options;
  // Made before the process its deadlines fire through (the metrics count its checkouts); it fires none before start().
  const watcher = new DeadlineWatcher({ client, logger, fire: (orderId, deadline) => process.fireDeadline(orderId, deadline) });
  const metrics = createSagaMetrics(options.registry, () => watcher.checkoutsByState());
  const process = new CheckoutProcess({
    client,
    provider: options.provider,
    logger,
    metrics,
    paymentDeadlineMs: settings.paymentDeadlineMs,
    checkoutDeadlineMs: settings.checkoutDeadlineMs,
    stepAttempts: settings.stepAttempts,
    retryBackoff: settings.retryBackoff,
    ...(options.boundary ? { boundary: options.boundary } : {}),
  });

  await ensurePersistentSubscriptionToAll(client, {
    group: settings.group,
    eventTypes: DELIVERED_EVENT_TYPES,
    settings: {
      // A step may wait for the payment provider up to the payment deadline; only then redeliver.
      messageTimeout: Math.max(30_000, settings.paymentDeadlineMs * 3),
      // Our consumer parks first (with the reason); the server's limit is a backstop.
      maxRetryCount: settings.maxRetryCount + 1,
      // Best effort: one checkout's events tend to reach one process (correctness rests on expected revisions).
      consumerStrategyName: 'Pinned',
      readBatchSize: 100,
      historyBufferSize: 500,
      liveBufferSize: 500,
      checkPointAfter: 1000,
      checkPointLowerBound: 10,
      checkPointUpperBound: 1000,
    },
  });
  await watcher.start();
  const consumer: RunningConsumer = consumePersistentSubscriptionToAll(client, {
    group: settings.group,
    bufferSize: settings.bufferSize,
    maxRetryCount: settings.maxRetryCount,
    retryBackoff: settings.retryBackoff,
    logger,
    handle: options.interceptDelivery ? options.interceptDelivery((event) => process.handle(event)) : (event) => process.handle(event),
    onParked: (event, reason) => metrics.parked.inc({ reason: reason.split(':')[0] ?? 'error' }),
    onRetry: (event) => metrics.retries.inc({ type: event.event?.type ?? 'unknown' }),
  });

  return {
    process,
    watcher,
    metrics,
    settings,
    ready: () => consumer.connected && watcher.ready,
    replayParked: () => replayParked(client, settings.group),
    async stop() {
      await watcher.stop();
      await consumer.stop();
    },
  };
}

/** `tokens` (verifierFromEnv) verifies the admin token `POST /parked/replay` needs, as the APIs do; `jwtSecret` in tests. */
export type SagaOperationsOptions = TokenSource & SagaOperationsSettings;

export interface SagaOperationsSettings {
  client: EventStoreDBClient;
  saga: RunningSaga;
  registry: Registry;
  logger: Logger;
  authFailuresPerMinute?: number;
  /** Serve `/metrics` on a listener of its own (METRICS_PORT/OPS_HOST). */
  metricsListener?: MetricsListenerOptions;
}

/**
 * A saga process's operations endpoints: `/health`, `/ready` (event store answers, subscription
 * connected, deadlines armed), `/metrics`, and `POST /parked/replay` (admin) to redeliver parked
 * events after fixing their cause. Here rather than in main.ts so that `npm start` (launcher/),
 * which runs the saga in one process with the other services, serves the same ones.
 */
export async function buildSagaOperationsServer(options: SagaOperationsOptions): Promise<HttpServer> {
  const { client, saga, registry, logger, authFailuresPerMinute, metricsListener } = options;
  const app = await createHttpServer({
    logger,
    metricsRegistry: registry,
    ...(metricsListener ? { metricsListener } : {}),
    docs: { title: 'Checkout saga', description: 'Operations endpoints of a checkout saga process' },
    readinessChecks: [
      eventStoreReadinessCheck(client),
      {
        name: 'saga-subscription',
        async check() {
          if (!saga.ready()) throw new Error('not connected to the persistent subscription, or deadlines not armed yet');
        },
      },
    ],
  });
  registerAuth(app, { tokens: tokensOf(options), ...(authFailuresPerMinute ? { failuresPerMinute: authFailuresPerMinute } : {}) });
  app.post(
    '/parked/replay',
    {
      preHandler: app.requireRole('admin'),
      schema: {
        tags: ['operations'],
        summary: 'Redeliver every parked event of the saga group (admin)',
        security: [{ bearer: [] }],
        response: { 202: z.object({ status: z.literal('replaying') }), 401: problemDetailsSchema, 403: problemDetailsSchema },
      },
    },
    async (request, reply) => {
      await saga.replayParked();
      logger.info({ by: request.principal?.sub }, 'parked events replayed');
      return reply.code(202).send({ status: 'replaying' as const });
    },
  );
  return app;
}
