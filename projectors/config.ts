/** The projector service's configuration, from the environment (see docs/READ-MODELS.md). */
import { z } from 'zod';
import { authEnv, databaseUrl, eventStoreUrl, httpServiceEnv, natsUrl, port, withTokenRules } from '../platform/config';

const positiveInt = (fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().positive('must be at least 1'))
    .default(fallback);

const natsToken = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be dot-separated tokens of letters, digits, _ and -');

export const projectorsEnv = withTokenRules(z.object({
  ...httpServiceEnv,
  /** Verifies the admin token `/projections` needs (the query API forwards its caller's). */
  ...authEnv,
  PROJECTORS_PORT: port(3004),
  EVENTSTORE_URL: eventStoreUrl,
  DATABASE_URL: databaseUrl,
  /** The Postgres schema the read models live in. */
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier').default('public'),
  NATS_URL: natsUrl,
  NOTIFICATIONS_SUBJECT_PREFIX: natsToken.default('notifications'),
  NOTIFICATIONS_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ and -').default('NOTIFICATIONS'),
  /** Available units at or below which admins are told a SKU runs low. */
  LOW_STOCK_THRESHOLD: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).default(5),
  /** Most events per transaction. */
  PROJECTOR_BATCH_SIZE: positiveInt(500),
  /** Live: how long a batch waits for more events after its first one. */
  PROJECTOR_LINGER_MS: positiveInt(5),
  /** Run only these projections (comma-separated names); default all. */
  PROJECTIONS: z
    .string()
    .transform((value) => value.split(',').map((name) => name.trim()).filter(Boolean))
    .optional(),
  /** `false` to run without the notifier (e.g. a second instance that only projects). */
  NOTIFIER_ENABLED: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((value) => value === 'true').default(true),
}));

export type ProjectorsConfig = z.output<typeof projectorsEnv>;
