/**
 * A saga process: `npm run start:saga`. Several may run at once; they share the work through the
 * persistent subscription group and never drive one order together (expected revisions).
 * Serves `/health`, `/ready` (event store answers, subscription connected, deadlines armed),
 * `/metrics`, and `POST /parked/replay` (admin token) to redeliver parked events after fixing their cause.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connectEventStore, closeEventStore } from '../platform/eventstore';
import { createMetricsRegistry } from '../platform/http/metrics';
import { metricsListenerOf } from '../platform/http/metrics-listener';
import { installGracefulShutdown } from '../platform/http/shutdown';
import { verifierFromEnv } from '../platform/auth';
import { createLogger } from '../platform/logger';
import { loadSagaConfig, sagaSettingsOf } from './config';
import { httpPaymentProvider } from './payment/http-provider';
import { buildSagaOperationsServer, startSaga } from './service';

const config = loadSagaConfig();
const logger = createLogger({ service: 'saga', level: config.LOG_LEVEL });
const client = connectEventStore(config.EVENTSTORE_URL);
const registry = createMetricsRegistry({ service: 'saga' });

// Test hook for the crash-recovery tests: SIGKILL this process the first time it reaches a point.
const crashAt = process.env.SAGA_CRASH_AT;
const boundary = crashAt
  ? (point: string) => {
      if (point === crashAt) {
        process.stderr.write(`SAGA_CRASH_AT ${point}: killing myself\n`);
        process.kill(process.pid, 'SIGKILL');
      }
    }
  : undefined;

const provider = httpPaymentProvider({
  baseUrl: config.PAYMENT_PROVIDER_URL,
  key: config.PAYMENT_SANDBOX_KEY,
  timeoutMs: config.PAYMENT_DEADLINE_MS + 1_000,
});
const saga = await startSaga({
  client,
  provider,
  logger,
  registry,
  settings: sagaSettingsOf(config),
  ...(boundary ? { boundary } : {}),
});

const metricsListener = metricsListenerOf(config);
const app = await buildSagaOperationsServer({
  client,
  saga,
  registry,
  logger,
  tokens: verifierFromEnv(config),
  authFailuresPerMinute: config.AUTH_FAILURES_PER_MINUTE,
  ...(metricsListener ? { metricsListener } : {}),
});
await app.listen({ port: config.SAGA_PORT, host: config.HOST });
logger.info({ port: config.SAGA_PORT, group: config.SAGA_GROUP }, 'saga process started');

const shutdown = installGracefulShutdown({ server: app, logger });
// The client's dispose can wait on calls the server still holds open; exiting closes them anyway.
shutdown.onClose('eventstore', () => Promise.race([closeEventStore(client), sleep(2000, undefined, { ref: false })]));
shutdown.onClose('saga', () => saga.stop());
shutdown.onClose('payment provider', () => provider.close());
