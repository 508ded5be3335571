/**
 * Configuration from environment variables, parsed once at start with zod.
 *
 * A service describes what it needs as a `z.object({ VARIABLE: piece, ... })` built from the
 * pieces below, and calls `loadConfig` (or `loadConfigOrExit` in an entrypoint). A bad or missing
 * value fails the start with a message that names every offending variable, because the person
 * reading it is an operator looking at a container log, not at our code.
 */
import { z } from 'zod';

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
      const missing = issue.path.length > 0 && input[String(issue.path[0])] === undefined;
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

/** A TCP port; 0 asks the OS for a free one (handy in tests). */
export function port(defaultPort?: number) {
  const schema = z
    .string()
    .regex(/^\d+$/, 'must be a whole number between 0 and 65535')
    .transform(Number)
    .pipe(z.number().int().min(0, 'must be between 0 and 65535').max(65535, 'must be between 0 and 65535'));
  return defaultPort === undefined ? schema : schema.default(defaultPort);
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

export const logLevel = z
  .enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` })
  .default('info');

/** `esdb://host:2113?tls=false`, or `esdb+discover://` for a cluster behind DNS. */
export const eventStoreUrl = url(['esdb', 'esdb+discover'], 'esdb://127.0.0.1:2113?tls=false');

export const databaseUrl = url(['postgres', 'postgresql'], 'postgres://postgres@127.0.0.1:5432/test');

export const natsUrl = url(['nats', 'tls', 'ws', 'wss'], 'nats://127.0.0.1:4222');

/** HS256 is only as strong as the secret; RFC 7518 asks for at least the hash size (256 bits). */
export const jwtSecret = z.string().min(32, 'must be at least 32 characters (HS256 needs a 256-bit secret)');

/** A whole number of events per minute, at least 1. */
export function perMinute(defaultValue: number) {
  return z.string().regex(/^\d+$/, 'must be a whole number per minute').transform(Number).pipe(z.number().int().min(1, 'must be at least 1')).default(defaultValue);
}

/** The variables every HTTP service shares; spread into a service's own schema. */
export const httpServiceEnv = {
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: logLevel,
  /** Serve `/metrics` on this port (on OPS_HOST) instead of the public one; unset: on the public port. */
  METRICS_PORT: port().optional(),
  /** Where the METRICS_PORT listener binds: an internal address, never a published one. */
  OPS_HOST: z.string().min(1).default('127.0.0.1'),
};

/** The variables of a service that verifies bearer tokens. */
export const authEnv = {
  JWT_SECRET: jwtSecret,
  /** Refused tokens per client address and minute before it is answered 429 (HTTP) or refused (socket.io handshakes). */
  AUTH_FAILURES_PER_MINUTE: perMinute(120),
};
