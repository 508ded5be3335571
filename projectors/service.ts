/**
 * The projector service, assembled: migrations, every projection, the notifier, and an HTTP
 * server with /health, /ready, /metrics and /projections (admin: each projection's state,
 * position and lag).
 */
import { z } from 'zod';
import { closeEventStore, connectEventStore, eventStoreReadinessCheck } from '../platform/eventstore';
import { registerAuth, verifierFromEnv, type TokenVerifier } from '../platform/auth';
import { metricsListenerOf } from '../platform/http/metrics-listener';
import { problemDetailsSchema } from '../platform/http/problem';
import { createHttpServer, type HttpServer } from '../platform/http/server';
import { createMetricsRegistry } from '../platform/http/metrics';
import type { Logger } from '../platform/logger';
import type { NotificationSink } from '../platform/notification-bus';
import { closePostgres, connectPostgres, postgresReadinessCheck } from '../platform/postgres';
import type { ProjectorsConfig } from './config';
import { ProjectorMetrics } from './framework/metrics';
import { runTogether, type ProjectionRunner } from './framework/runner';
import { migrateReadModels } from './migrate';
import { OutboxPublisher } from './notifier/publisher';
import { allProjections } from './projections';

export interface ProjectorService {
  readonly app: HttpServer;
  readonly runners: readonly ProjectionRunner[];
  readonly notifier: OutboxPublisher | undefined;
  /** Stops projections (each after its batch in flight) and the notifier, closes connections. */
  close(): Promise<void>;
}

export interface ProjectorServiceOptions {
  /** Where the notifier publishes; default JetStream at NATS_URL (the in-process bus is for `npm start`). */
  notificationBus?: NotificationSink;
  /** Checks the admin token of `/projections`; default the configuration's (verifierFromEnv). */
  tokens?: TokenVerifier;
}

export async function startProjectorService(
  config: ProjectorsConfig,
  logger: Logger,
  options: ProjectorServiceOptions = {},
): Promise<ProjectorService> {
  const schema = config.DATABASE_SCHEMA;
  const knex = connectPostgres({ url: config.DATABASE_URL, schema, applicationName: `projectors:${schema}` });
  const ran = await migrateReadModels(knex, schema);
  if (ran.length > 0) logger.info({ migrations: ran }, 'read-model migrations applied');
  const client = connectEventStore(config.EVENTSTORE_URL);
  const registry = createMetricsRegistry({ service: 'projectors' });
  const metrics = new ProjectorMetrics(registry, client);

  const projections = allProjections({ lowStockThreshold: config.LOW_STOCK_THRESHOLD }).filter(
    ({ name }) => !config.PROJECTIONS || config.PROJECTIONS.includes(name),
  );
  const unknown = (config.PROJECTIONS ?? []).filter((name) => !projections.some((projection) => projection.name === name));
  if (unknown.length > 0) throw new Error(`PROJECTIONS names unknown projections: ${unknown.join(', ')}`);
  // One group: one subscription and one transaction per batch for every read model (framework/group.ts).
  const runners = runTogether(projections, {
    knex,
    client,
    databaseUrl: config.DATABASE_URL,
    schema,
    logger,
    metrics,
    batch: { maxEvents: config.PROJECTOR_BATCH_SIZE, lingerMs: config.PROJECTOR_LINGER_MS },
  });
  for (const runner of runners) runner.start();
  const notifier = config.NOTIFIER_ENABLED
    ? new OutboxPublisher({
        knex,
        databaseUrl: config.DATABASE_URL,
        schema,
        ...(options.notificationBus ? { bus: options.notificationBus } : { natsUrl: config.NATS_URL }),
        logger,
        registry,
        subjectPrefix: config.NOTIFICATIONS_SUBJECT_PREFIX,
        streamName: config.NOTIFICATIONS_STREAM,
      }).start()
    : undefined;

  const metricsListener = metricsListenerOf(config);
  const app = await createHttpServer({
    logger,
    metricsRegistry: registry,
    ...(metricsListener ? { metricsListener } : {}),
    docs: { title: 'Checkout projectors', description: 'Read-model projections and the notification publisher' },
    readinessChecks: [
      postgresReadinessCheck(knex),
      eventStoreReadinessCheck(client),
      ...(notifier ? [notifier.readinessCheck(options.notificationBus ? 'notification-bus' : 'nats')] : []),
      {
        name: 'projections',
        async check() {
          const failed = runners.filter((runner) => runner.state === 'failed').map((runner) => runner.projection.name);
          if (failed.length > 0) throw new Error(`stopped: ${failed.join(', ')}`);
        },
      },
    ],
  });

  const projectionStatus = z.object({
    name: z.string(),
    state: z.string(),
    position: z.object({ commit: z.string(), prepare: z.string() }).nullable(),
    lagEvents: z.number().nullable(),
    lagSeconds: z.number().nullable(),
    failure: z.string().nullable(),
  });
  registerAuth(app, { tokens: options.tokens ?? verifierFromEnv(config), failuresPerMinute: config.AUTH_FAILURES_PER_MINUTE });
  app.get(
    '/projections',
    {
      preHandler: app.requireRole('admin'),
      schema: {
        tags: ['operations'],
        summary: "Each projection's state, checkpoint and lag (admin)",
        security: [{ bearer: [] }],
        response: { 200: z.object({ projections: z.array(projectionStatus) }), 401: problemDetailsSchema, 403: problemDetailsSchema },
      },
    },
    async () => {
      const lags = await metrics.lags();
      return {
        projections: runners.map((runner) => {
          const lag = lags.get(runner.projection.name);
          return {
            name: runner.projection.name,
            state: runner.state,
            position: runner.position ? { commit: runner.position.commit.toString(), prepare: runner.position.prepare.toString() } : null,
            lagEvents: lag?.events ?? null,
            lagSeconds: lag?.seconds ?? null,
            failure: runner.failure?.message ?? null,
          };
        }),
      };
    },
  );

  return {
    app,
    runners,
    notifier,
    async close() {
      await Promise.all([...runners.map((runner) => runner.stop()), notifier?.stop()]);
      await closeEventStore(client);
      await closePostgres(knex);
    },
  };
}
