/** The saga process's configuration, from the environment (validated at start, every problem named). */
import { z } from 'zod';
import {
  authEnv,
  count,
  eventStoreUrl,
  httpServiceEnv,
  loadConfig,
  loadConfigOrExit,
  milliseconds,
  port,
  url,
  withTokenRules,
  type Env,
} from '../platform/config';
import { paymentSandboxKey } from './payment-sandbox/config';

/** The saga's settings (where it connects, deadlines, retries, group): `npm start` reads these too. */
export const sagaEnv = z.object({
  ...httpServiceEnv,
  EVENTSTORE_URL: eventStoreUrl.default('esdb://127.0.0.1:2113?tls=false'),
  PAYMENT_PROVIDER_URL: url(['http', 'https'], 'http://127.0.0.1:3003').default('http://127.0.0.1:3003'),
  SAGA_PORT: port(3005),
  /** How long the payment provider has to answer an authorization before the checkout gives up on it. */
  PAYMENT_DEADLINE_MS: milliseconds(10_000),
  /** How long a whole checkout may take before it is compensated (until the order is being confirmed). */
  CHECKOUT_DEADLINE_MS: milliseconds(60_000),
  /** The persistent subscription group every saga process joins. */
  SAGA_GROUP: z.string().min(1).default('checkout-saga'),
  /** Messages one process holds at once (checkouts driven concurrently). */
  SAGA_BUFFER_SIZE: count(64),
  /** Deliveries of a failing event before it is parked. */
  SAGA_MAX_RETRY_COUNT: count(5),
  /** Attempts of a step within one delivery before the event is handed back for redelivery. */
  SAGA_STEP_ATTEMPTS: count(4),
  SAGA_RETRY_INITIAL_MS: milliseconds(50),
  SAGA_RETRY_MAX_MS: milliseconds(5_000),
});
/** A saga process (`npm run start:saga`): its settings and its secrets. */
export const sagaProcessEnv = withTokenRules(
  sagaEnv.extend({
    /** Verifies the admin token of `POST /parked/replay`. */
    ...authEnv,
    /** The key the payment provider (the sandbox: its PAYMENT_SANDBOX_KEY) wants on every call. */
    PAYMENT_SANDBOX_KEY: paymentSandboxKey,
  }),
);
export type SagaConfig = z.output<typeof sagaProcessEnv>;

export function loadSagaConfig(env: Env = process.env, { exitOnError = true } = {}): SagaConfig {
  return exitOnError ? loadConfigOrExit(sagaProcessEnv, env) : loadConfig(sagaProcessEnv, env);
}

/** How a saga process drives checkouts, as `startSaga` takes it. */
export interface SagaSettings {
  group: string;
  paymentDeadlineMs: number;
  checkoutDeadlineMs: number;
  bufferSize: number;
  maxRetryCount: number;
  stepAttempts: number;
  retryBackoff: { initialMs: number; maxMs: number };
}

/** The settings the variables ask for. */
export function sagaSettingsOf(config: z.output<typeof sagaEnv>): SagaSettings {
  return {
    group: config.SAGA_GROUP,
    paymentDeadlineMs: config.PAYMENT_DEADLINE_MS,
    checkoutDeadlineMs: config.CHECKOUT_DEADLINE_MS,
    bufferSize: config.SAGA_BUFFER_SIZE,
    maxRetryCount: config.SAGA_MAX_RETRY_COUNT,
    stepAttempts: config.SAGA_STEP_ATTEMPTS,
    retryBackoff: { initialMs: config.SAGA_RETRY_INITIAL_MS, maxMs: config.SAGA_RETRY_MAX_MS },
  };
}

/** The settings when nothing is set: the schema's defaults, so they are written only there. */
export const defaultSagaSettings: SagaSettings = sagaSettingsOf(sagaEnv.parse({}));
