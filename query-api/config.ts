/** The query API's configuration, from the environment. */
import { z } from 'zod';
import {
  authEnv,
  databaseUrl,
  httpServiceEnv,
  milliseconds,
  natsSubjectTokens,
  natsUrl,
  port,
  sqlIdentifier,
  url,
  withTokenRules,
} from '../platform/config';
import { trustProxy } from '../platform/http/client-address';
import { corsOrigins } from '../platform/http/cors';

/** READ_YOUR_WRITES_TIMEOUT_MS when unset. */
export const DEFAULT_READ_YOUR_WRITES_TIMEOUT_MS = 5000;

export const queryApiEnv = withTokenRules(
  z.object({
    QUERY_API_PORT: port(3002),
    ...httpServiceEnv,
    DATABASE_URL: databaseUrl,
    /** The schema holding the read models, if not the connection's default (`public`). */
    DATABASE_SCHEMA: sqlIdentifier.optional(),
    NATS_URL: natsUrl,
    /** Prefix of the notification subjects, as the projectors' notifier publishes them. */
    NOTIFICATIONS_SUBJECT_PREFIX: natsSubjectTokens.default('notifications'),
    ...authEnv,
    /** How long a request carrying X-Min-Position may wait for the read models before a 503 (at most a minute). */
    READ_YOUR_WRITES_TIMEOUT_MS: milliseconds(DEFAULT_READ_YOUR_WRITES_TIMEOUT_MS, { min: 0, max: 60_000 }),
    /** Browser origins allowed to call the API and open a socket from another origin (comma-separated); unset: none. */
    CORS_ORIGINS: corsOrigins.optional(),
    /** Proxies whose X-Forwarded-For (and, for socket.io's origin check, X-Forwarded-Host) is believed (comma-separated addresses, CIDR ranges, `loopback`): the console's origin; unset: none. */
    TRUST_PROXY: trustProxy.optional(),
    /** The projector service's HTTP base URL, for GET /operations/projections; unset: that route answers 503. */
    PROJECTORS_URL: url(['http', 'https'], 'http://127.0.0.1:3004').optional(),
  }),
);

export type QueryApiConfig = z.output<typeof queryApiEnv>;
