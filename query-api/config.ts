/** The query API's configuration, from the environment. */
import { z } from 'zod';
import { authEnv, databaseUrl, httpServiceEnv, natsUrl, port, url, withTokenRules } from '../platform/config';
import { trustProxy } from '../platform/http/client-address';
import { corsOrigins } from '../platform/http/cors';

/** How long a request carrying X-Min-Position may wait for the read models before a 503. */
export const readYourWritesTimeoutMs = z
  .string()
  .regex(/^\d+$/, 'must be a whole number of milliseconds')
  .transform(Number)
  .pipe(z.number().int().min(0).max(60_000, 'must be at most 60000 (a minute)'))
  .default(5000);

export const queryApiEnv = withTokenRules(z.object({
  QUERY_API_PORT: port(3002),
  ...httpServiceEnv,
  DATABASE_URL: databaseUrl,
  /** The schema holding the read models, if not the connection's default (`public`). */
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier').optional(),
  NATS_URL: natsUrl,
  /** Prefix of the notification subjects, as the projectors' notifier publishes them. */
  NOTIFICATIONS_SUBJECT_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be NATS subject tokens separated by dots')
    .default('notifications'),
  ...authEnv,
  READ_YOUR_WRITES_TIMEOUT_MS: readYourWritesTimeoutMs,
  /** Browser origins allowed to call the API and open a socket from another origin (comma-separated); unset: none. */
  CORS_ORIGINS: corsOrigins.optional(),
  /** Proxies whose X-Forwarded-For (and, for socket.io's origin check, X-Forwarded-Host) is believed (comma-separated addresses, CIDR ranges, `loopback`): the console's origin; unset: none. */
  TRUST_PROXY: trustProxy.optional(),
  /** The projector service's HTTP base URL, for GET /operations/projections; unset: that route answers 503. */
  PROJECTORS_URL: url(['http', 'https'], 'http://127.0.0.1:3004').optional(),
}));

export type QueryApiConfig = z.output<typeof queryApiEnv>;
