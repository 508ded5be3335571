/**
 * The command API's settings, from environment variables, checked with zod at start: a bad value
 * stops the process with a message naming the variable (never its value: JWT_SECRET is one).
 */
import { z } from 'zod';
import { eventStoreUrl, httpServiceEnv, jwtSecret, port } from '../platform/config';

export const commandApiEnv = z.object({
  COMMAND_API_PORT: port(3001),
  ...httpServiceEnv,
  // No default: a service that silently talks to the wrong event store is worse than one that
  // refuses to start. `npm run eventstore` serves esdb://127.0.0.1:2113?tls=false.
  EVENTSTORE_URL: eventStoreUrl,
  JWT_SECRET: jwtSecret,
});

export type CommandApiEnv = z.output<typeof commandApiEnv>;

/** What `buildCommandApi` needs from the configuration (the rest is for main.ts: where to listen). */
export interface CommandApiConfig {
  jwtSecret: string;
}
