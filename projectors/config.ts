/** The projector service's configuration, from the environment (see docs/READ-MODELS.md). */
import { z } from 'zod';
import {
  authEnv,
  count,
  databaseUrl,
  eventStoreUrl,
  httpServiceEnv,
  milliseconds,
  natsSubjectTokens,
  natsUrl,
  port,
  sqlIdentifier,
  withTokenRules,
} from '../platform/config';

export const projectorsEnv = withTokenRules(
  z.object({
    ...httpServiceEnv,
    /** Verifies the admin token `/projections` needs (the query API forwards its caller's). */
    ...authEnv,
    PROJECTORS_PORT: port(3004),
    EVENTSTORE_URL: eventStoreUrl,
    DATABASE_URL: databaseUrl,
    /** The Postgres schema the read models live in. */
    DATABASE_SCHEMA: sqlIdentifier.default('public'),
    NATS_URL: natsUrl,
    NOTIFICATIONS_SUBJECT_PREFIX: natsSubjectTokens.default('notifications'),
    NOTIFICATIONS_STREAM: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ and -')
      .default('NOTIFICATIONS'),
    /** Available units at or below which admins are told a SKU runs low. */
    LOW_STOCK_THRESHOLD: count(5, { min: 0 }),
    /** Most events per transaction. */
    PROJECTOR_BATCH_SIZE: count(500),
    /** Live: how long a batch waits for more events after its first one. */
    PROJECTOR_LINGER_MS: milliseconds(5),
    /** Run only these projections (comma-separated names); default all. */
    PROJECTIONS: z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean),
      )
      .optional(),
    /** `false` to run without the notifier (e.g. a second instance that only projects). */
    NOTIFIER_ENABLED: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .transform((value) => value === 'true')
      .default(true),
  }),
);

export type ProjectorsConfig = z.output<typeof projectorsEnv>;
