/**
 * `npm start`'s configuration, from the environment (checked with zod; a bad value stops it with
 * the variable named). Each of EVENTSTORE_URL, DATABASE_URL and NATS_URL, when set, replaces
 * its embedded default by that server; the other variables are the services' own, with the same
 * names and defaults as when each runs on its own (docs/RUNNING.md has the table).
 */
import { z } from 'zod';
import { readYourWritesTimeoutMs } from '../query-api/config';
import { databaseUrl, eventStoreUrl, jwtSecret, logLevels, natsUrl, port } from '../platform/config';
import { corsOrigins } from '../platform/http/cors';

const sqlIdentifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier');
const natsTokens = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be dot-separated tokens of letters, digits, _ and -');

export const launcherEnv = z.object({
  /** Where the embedded event log, database and generated JWT secret live (default `.data` under the current directory). */
  CHECKOUT_DATA_DIR: z.string().min(1).default('.data'),
  EVENTSTORE_URL: eventStoreUrl.optional(),
  /** The embedded emulator's port (only without EVENTSTORE_URL). */
  EVENTSTORE_EMULATOR_PORT: port(2113),
  DATABASE_URL: databaseUrl.optional(),
  DATABASE_SCHEMA: sqlIdentifier.default('public'),
  NATS_URL: natsUrl.optional(),
  NOTIFICATIONS_SUBJECT_PREFIX: natsTokens.default('notifications'),
  NOTIFICATIONS_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ and -').default('NOTIFICATIONS'),
  /** Unset: generated once and kept in the data directory, so tokens stay valid across restarts. */
  JWT_SECRET: jwtSecret.optional(),
  /** Loopback by default: this is a development start, not something to expose on a network. */
  HOST: z.string().default('127.0.0.1'),
  /** The console's origin: the console, both APIs and socket.io on one port (the one a browser needs). */
  WEB_PORT: port(3000),
  COMMAND_API_PORT: port(3001),
  QUERY_API_PORT: port(3002),
  PAYMENT_SANDBOX_PORT: port(3003),
  PROJECTORS_PORT: port(3004),
  SAGA_PORT: port(3005),
  /** `warn` by default: five services logging `info` to one terminal would bury the banner. */
  LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }).default('warn'),
  READ_YOUR_WRITES_TIMEOUT_MS: readYourWritesTimeoutMs,
  /** Browser origins allowed to call the APIs from another origin (comma-separated); unset: none (the console's own origin needs none). */
  CORS_ORIGINS: corsOrigins.optional(),
});

export type LauncherConfig = z.output<typeof launcherEnv>;
