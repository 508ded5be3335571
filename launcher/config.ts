/**
 * `npm start`'s configuration, from the environment (checked with zod; a bad value stops it with
 * the variable named). Each of EVENTSTORE_URL, DATABASE_URL and NATS_URL, when set, replaces
 * its embedded default by that server; the other variables are the services' own, with the same
 * names and defaults as when each runs on its own (docs/RUNNING.md has the table).
 */
import { z } from 'zod';
import { commandApiEnv } from '../command-api/config';
import { authEnv, databaseUrl, eventStoreUrl, logLevel, natsUrl, port, withTokenRules } from '../platform/config';
import { corsOrigins } from '../platform/http/cors';
import { projectorsEnv } from '../projectors/config';
import { queryApiEnv } from '../query-api/config';
import { sagaEnv } from '../saga/config';
import { paymentSandboxEnv } from '../saga/payment-sandbox/config';
import { webOriginEnv } from '../web/origin/config';

export const launcherEnv = withTokenRules(
  z.object({
    /** Where the embedded event log, database and generated JWT secret live (default `.data` under the current directory). */
    CHECKOUT_DATA_DIR: z.string().min(1).default('.data'),
    EVENTSTORE_URL: eventStoreUrl.optional(),
    /** The embedded emulator's port (only without EVENTSTORE_URL). */
    EVENTSTORE_EMULATOR_PORT: port(2113),
    DATABASE_URL: databaseUrl.optional(),
    DATABASE_SCHEMA: projectorsEnv.shape.DATABASE_SCHEMA,
    /** The embedded database over PostgreSQL's wire protocol, for the replay CLI and psql (only without DATABASE_URL; a free port when the default is taken). */
    EMBEDDED_PG_PORT: port(5433),
    NATS_URL: natsUrl.optional(),
    NOTIFICATIONS_SUBJECT_PREFIX: projectorsEnv.shape.NOTIFICATIONS_SUBJECT_PREFIX,
    NOTIFICATIONS_STREAM: projectorsEnv.shape.NOTIFICATIONS_STREAM,
    /** Unset (and no OIDC_ISSUER): generated once and kept in the data directory, so tokens stay valid across restarts. */
    JWT_SECRET: authEnv.JWT_SECRET,
    /**
     * An identity provider instead, with the services' own variables (platform/config.ts `authEnv`,
     * verified by platform/auth/from-env.ts): its tokens only, no development sign-in, no printed tokens.
     */
    OIDC_ISSUER: authEnv.OIDC_ISSUER,
    OIDC_AUDIENCE: authEnv.OIDC_AUDIENCE,
    OIDC_JWKS_URL: authEnv.OIDC_JWKS_URL,
    OIDC_ROLES_CLAIM: authEnv.OIDC_ROLES_CLAIM,
    TOKEN_MAX_LIFETIME_S: authEnv.TOKEN_MAX_LIFETIME_S,
    /** The console's public client at the provider: with it the console offers "Sign in with <issuer>" (web origin's variables). */
    OIDC_CONSOLE_CLIENT_ID: webOriginEnv.shape.OIDC_CONSOLE_CLIENT_ID,
    OIDC_CONSOLE_SCOPE: webOriginEnv.shape.OIDC_CONSOLE_SCOPE,
    /** Loopback by default: this is a development start, not something to expose on a network. */
    HOST: z.string().default('127.0.0.1'),
    /** The console's origin: the console, both APIs and socket.io on one port (the one a browser needs). */
    WEB_PORT: webOriginEnv.shape.WEB_PORT,
    COMMAND_API_PORT: commandApiEnv.shape.COMMAND_API_PORT,
    QUERY_API_PORT: queryApiEnv.shape.QUERY_API_PORT,
    PAYMENT_SANDBOX_PORT: paymentSandboxEnv.shape.PAYMENT_SANDBOX_PORT,
    PROJECTORS_PORT: projectorsEnv.shape.PROJECTORS_PORT,
    SAGA_PORT: sagaEnv.shape.SAGA_PORT,
    /** `warn` by default: five services logging `info` to one terminal would bury the banner. */
    LOG_LEVEL: logLevel.default('warn'),
    READ_YOUR_WRITES_TIMEOUT_MS: queryApiEnv.shape.READ_YOUR_WRITES_TIMEOUT_MS,
    /** Browser origins allowed to call the APIs from another origin (comma-separated); unset: none (the console's own origin needs none). */
    CORS_ORIGINS: corsOrigins.optional(),
  }),
  { secretOptional: true },
).superRefine((values, context) => {
  if (values.OIDC_CONSOLE_CLIENT_ID !== undefined && values.OIDC_ISSUER === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['OIDC_CONSOLE_CLIENT_ID'],
      message: 'is set but OIDC_ISSUER is not (the console signs in at that provider)',
    });
  }
});

export type LauncherConfig = z.output<typeof launcherEnv>;
