/**
 * Configuration from environment variables, parsed once at start with zod.
 *
 * A service describes what it needs as a `z.object({ VARIABLE: piece, ... })` built from the
 * pieces below, and calls `loadConfig` (or `loadConfigOrExit` in an entrypoint). A bad or missing
 * value fails the start with a message that names every offending variable, because the person
 * reading it is an operator looking at a container log, not at our code.
 */
import { z } from 'zod';
import { DEFAULT_MAX_LIFETIME_SECONDS } from './auth/claims';

/** Failed authentications a client may make per minute before it is refused for a while. */
export const DEFAULT_AUTH_FAILURES_PER_MINUTE = 120;

export type Env = Record<string, string | undefined>;

export interface ConfigProblem {
  readonly variable: string;
  readonly problem: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map(({ variable, problem }) => `  - ${variable}: ${problem}`).join('\n'),
    );
  }
}

/**
 * Parses `env` with `schema`. Empty strings count as unset: docker-compose and shells produce
 * `VAR=` easily, and "set to nothing" should fall back to the default like "not set" does.
 */
export function loadConfig<Schema extends z.ZodObject>(schema: Schema, env: Env = process.env): z.output<Schema> {
  const input: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const variable = issue.path.length > 0 ? issue.path.map(String).join('.') : '(configuration)';
      // Never echo the received value: it may be a secret (JWT_SECRET, a DATABASE_URL password).
      // A rule's own message (withTokenRules) says more than "not set" would.
      const missing = issue.code !== 'custom' && issue.path.length > 0 && input[String(issue.path[0])] === undefined;
      return { variable, problem: missing ? 'is required but not set' : issue.message };
    }),
  );
}

/**
 * For a service entrypoint: a configuration mistake is not a crash, so print the message
 * (no stack trace) and exit 1 so the orchestrator reports a failed start.
 */
export function loadConfigOrExit<Schema extends z.ZodObject>(schema: Schema, env: Env = process.env): z.output<Schema> {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

// ---- reusable pieces --------------------------------------------------------------------

interface Bounds {
  /** Default 1. */
  readonly min?: number;
  readonly max?: number;
}

/**
 * Every number in the environment: digits only (no sign, fraction, exponent or spaces, so `-1`,
 * `1e3` and `1.5` are refused rather than read as something else), then within its bounds.
 * `what` completes "must be …"; `outOfRange` replaces the "at least"/"at most" messages.
 */
function wholeNumber(what: string, { min = 1, max }: Bounds, outOfRange?: string) {
  let bounded = z
    .number()
    .int()
    .min(min, outOfRange ?? `must be at least ${min}`);
  if (max !== undefined) bounded = bounded.max(max, outOfRange ?? `must be at most ${max}`);
  return z.string().regex(/^\d+$/, `must be ${what}`).transform(Number).pipe(bounded);
}

/** A TCP port; 0 asks the OS for a free one (handy in tests). */
export function port(defaultPort?: number) {
  const schema = wholeNumber('a whole number between 0 and 65535', { min: 0, max: 65535 }, 'must be between 0 and 65535');
  return defaultPort === undefined ? schema : schema.default(defaultPort);
}

/** A whole number of things (events, messages, attempts, units), at least 1 unless `bounds` say otherwise. */
export function count(defaultValue: number, bounds: Bounds = {}) {
  return wholeNumber('a whole number', bounds).default(defaultValue);
}

/** A duration in whole milliseconds, at least 1 unless `bounds` say otherwise. */
export function milliseconds(defaultValue: number, bounds: Bounds = {}) {
  return wholeNumber('a whole number of milliseconds', bounds).default(defaultValue);
}

/** A duration in whole seconds, at least 1. */
export function seconds(defaultValue: number) {
  return wholeNumber('a whole number of seconds', {}).default(defaultValue);
}

/** A whole number of events per minute, at least 1. */
export function perMinute(defaultValue: number) {
  return wholeNumber('a whole number per minute', {}).default(defaultValue);
}

/** A URL whose scheme is one of `protocols` (without the colon), e.g. `url(['http', 'https'])`. */
export function url(protocols: readonly string[], example?: string) {
  const expected = `must be a URL starting with ${protocols.map((protocol) => `${protocol}://`).join(' or ')}${example ? ` (e.g. ${example})` : ''}`;
  return z.string().refine((value) => {
    if (!URL.canParse(value)) return false;
    return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
  }, expected);
}

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export const logLevel = z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }).default('info');

/** `esdb://host:2113?tls=false`, or `esdb+discover://` for a cluster behind DNS. */
export const eventStoreUrl = url(['esdb', 'esdb+discover'], 'esdb://127.0.0.1:2113?tls=false');

export const databaseUrl = url(['postgres', 'postgresql'], 'postgres://postgres@127.0.0.1:5432/test');

export const natsUrl = url(['nats', 'tls', 'ws', 'wss'], 'nats://127.0.0.1:4222');

/** A PostgreSQL schema name, unquoted: lower-case letters, digits and `_`. */
export const sqlIdentifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier');

/** A NATS subject prefix: tokens separated by dots (`notifications`, `shop.notifications`). */
export const natsSubjectTokens = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be dot-separated tokens of letters, digits, _ and -');

/** HS256 is only as strong as the secret; RFC 7518 asks for at least the hash size (256 bits). */
export const jwtSecret = z.string().min(32, 'must be at least 32 characters (HS256 needs a 256-bit secret)');

/** The variables every HTTP service shares; spread into a service's own schema. */
export const httpServiceEnv = {
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: logLevel,
  /** Serve `/metrics` on this port (on OPS_HOST) instead of the public one; unset: on the public port. */
  METRICS_PORT: port().optional(),
  /** Where the METRICS_PORT listener binds: an internal address, never a published one. */
  OPS_HOST: z.string().min(1).default('127.0.0.1'),
};

/** A claim name, or a dotted path into nested objects (`realm_access.roles`). */
const claimPath = z
  .string()
  .regex(/^[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*$/, 'must be a claim name or a dotted path such as realm_access.roles');

/**
 * The variables of a service that verifies bearer tokens: either `JWT_SECRET` (HS256, development
 * and tests) or `OIDC_ISSUER` + `OIDC_AUDIENCE` (an identity provider's RS256/ES256 tokens, keys
 * from its JWKS), never both (docs/adr/0007). A schema that spreads these must also be wrapped in
 * `withTokenRules`, which checks how they go together.
 */
export const authEnv = {
  JWT_SECRET: jwtSecret.optional(),
  /** The identity provider's issuer URL, exactly as in its tokens' `iss` (Keycloak: `https://…/realms/<realm>`). */
  OIDC_ISSUER: url(['http', 'https'], 'https://id.example.com/realms/checkout').optional(),
  /** What the tokens' `aud` must contain: the APIs' audience (comma-separated to accept several). */
  OIDC_AUDIENCE: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((audience) => audience.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string()).min(1, 'must name at least one audience'))
    .optional(),
  /** The JWKS URL, when not the discovery document's `jwks_uri` (e.g. the issuer is not reachable under its public URL from here). */
  OIDC_JWKS_URL: url(['http', 'https'], 'http://keycloak:8080/realms/checkout/protocol/openid-connect/certs').optional(),
  /** Where the roles are in an identity provider's token: `roles` (default) or e.g. Keycloak's `realm_access.roles`. */
  OIDC_ROLES_CLAIM: claimPath.default('roles'),
  /** Longest lifetime (`exp` − `iat`) of a token accepted, in seconds (default 86400, a day). */
  TOKEN_MAX_LIFETIME_S: seconds(DEFAULT_MAX_LIFETIME_SECONDS),
  /** Refused tokens per client address and minute before it is answered 429 (HTTP) or refused (socket.io handshakes). */
  AUTH_FAILURES_PER_MINUTE: perMinute(DEFAULT_AUTH_FAILURES_PER_MINUTE),
};

interface AuthValues {
  JWT_SECRET?: string | undefined;
  OIDC_ISSUER?: string | undefined;
  OIDC_AUDIENCE?: string[] | undefined;
  OIDC_JWKS_URL?: string | undefined;
}

/**
 * How the `authEnv` variables go together: exactly one way of verifying tokens. Both at once is
 * refused, because a shared secret beside the identity provider would let whoever holds it mint
 * tokens the provider never issued. `secretOptional`: neither is fine too (`npm start` generates
 * a secret of its own then).
 */
export function withTokenRules<Schema extends z.ZodObject>(
  schema: Schema,
  { secretOptional = false }: { secretOptional?: boolean } = {},
): Schema {
  return schema.superRefine((values: AuthValues, context) => {
    const problem = (variable: string, message: string) => context.addIssue({ code: 'custom', path: [variable], message });
    if (values.JWT_SECRET !== undefined && values.OIDC_ISSUER !== undefined) {
      problem(
        'JWT_SECRET',
        'must not be set together with OIDC_ISSUER: tokens are verified either with a shared secret (development) or against the identity provider, not both',
      );
    } else if (values.JWT_SECRET === undefined && values.OIDC_ISSUER === undefined && !secretOptional) {
      problem('JWT_SECRET', "is required but not set (or set OIDC_ISSUER and OIDC_AUDIENCE to verify an identity provider's tokens)");
    }
    if (values.OIDC_ISSUER !== undefined && values.OIDC_AUDIENCE === undefined)
      problem('OIDC_AUDIENCE', "is required with OIDC_ISSUER (the audience the APIs' tokens are issued for)");
    if (values.OIDC_ISSUER === undefined) {
      for (const variable of ['OIDC_AUDIENCE', 'OIDC_JWKS_URL'] as const) {
        if (values[variable] !== undefined) problem(variable, 'is set but OIDC_ISSUER is not');
      }
    }
  }) as Schema;
}
