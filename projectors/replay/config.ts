/** The replay CLI's configuration, from the same environment variables as the projector service. */
import { z } from 'zod';
import { databaseUrl, eventStoreUrl, logLevel } from '../../platform/config';
import { projectorsEnv } from '../config';

export const replayEnv = z.object({
  EVENTSTORE_URL: eventStoreUrl,
  DATABASE_URL: databaseUrl,
  /** The schema of the live read models; the shadows are `<schema>_rebuild` and `<schema>_verify`. */
  DATABASE_SCHEMA: projectorsEnv.shape.DATABASE_SCHEMA.refine(
    (schema) => schema.length <= 48,
    'must be at most 48 characters (the shadow schema adds a suffix)',
  ),
  /** Must be the projector service's: the notifications projection decides with it. */
  LOW_STOCK_THRESHOLD: projectorsEnv.shape.LOW_STOCK_THRESHOLD,
  /** Default for --batch-size. */
  PROJECTOR_BATCH_SIZE: projectorsEnv.shape.PROJECTOR_BATCH_SIZE,
  /** The runners' own log lines (on stderr); warnings by default, so progress stays readable. */
  LOG_LEVEL: logLevel.default('warn'),
});

export type ReplayConfig = z.output<typeof replayEnv>;
