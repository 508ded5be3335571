/**
 * The command API's settings, from environment variables, checked with zod at start: a bad value
 * stops the process with a message naming the variable (never its value: JWT_SECRET is one).
 */
import { z } from 'zod';
import type { TokenSource } from '../platform/auth';
import { authEnv, eventStoreUrl, httpServiceEnv, perMinute, port, withTokenRules } from '../platform/config';
import type { MetricsListenerOptions } from '../platform/http/metrics-listener';
import { trustProxy } from '../platform/http/client-address';
import { corsOrigins } from '../platform/http/cors';

/** The saga's persistent subscription group, as the saga names it by default (saga/config.ts `SAGA_GROUP`). */
export const DEFAULT_SAGA_GROUP = 'checkout-saga';

/** COMMAND_RATE_LIMIT_PER_MINUTE when unset. */
export const DEFAULT_COMMANDS_PER_MINUTE = 6000;

export const commandApiEnv = withTokenRules(
  z.object({
    COMMAND_API_PORT: port(3001),
    ...httpServiceEnv,
    // No default: a service that silently talks to the wrong event store is worse than one that
    // refuses to start. `npm run eventstore` serves esdb://127.0.0.1:2113?tls=false.
    EVENTSTORE_URL: eventStoreUrl,
    ...authEnv,
    /** Commands one user (`sub`) may send a minute; past it 429 with Retry-After. Generous: it stops a runaway client, not a shopper. */
    COMMAND_RATE_LIMIT_PER_MINUTE: perMinute(DEFAULT_COMMANDS_PER_MINUTE),
    /** Browser origins allowed to call this API from another origin (comma-separated); unset: none. */
    CORS_ORIGINS: corsOrigins.optional(),
    /** Proxies whose X-Forwarded-For is believed (comma-separated addresses, CIDR ranges, `loopback`): the console's origin; unset: none. */
    TRUST_PROXY: trustProxy.optional(),
    /** The saga's group, whose parked events `/operations/saga/parked` shows and replays: set it as the saga's `SAGA_GROUP`. */
    SAGA_GROUP: z.string().min(1).default(DEFAULT_SAGA_GROUP),
  }),
);

export type CommandApiEnv = z.output<typeof commandApiEnv>;

/** What `buildCommandApi` needs: how tokens are checked (`tokens`: verifierFromEnv; `jwtSecret` in tests) and the settings below. */
export type CommandApiConfig = TokenSource & CommandApiSettings;

export interface CommandApiSettings {
  /** Default none: no cross-origin access. */
  corsOrigins?: readonly string[];
  /** Proxies whose X-Forwarded-For names the client (`TRUST_PROXY`); default none. */
  trustProxy?: readonly string[];
  /** Default `checkout-saga` (DEFAULT_SAGA_GROUP). */
  sagaGroup?: string;
  /** Refused tokens per client address and minute before 429 (default 120). */
  authFailuresPerMinute?: number;
  /** Commands per user and minute before 429 (default DEFAULT_COMMANDS_PER_MINUTE). */
  commandsPerMinute?: number;
  /** Serve `/metrics` on a listener of its own (METRICS_PORT/OPS_HOST) instead of the public port. */
  metricsListener?: MetricsListenerOptions;
}
