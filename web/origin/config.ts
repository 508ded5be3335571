/** The console origin's configuration (compose: `npm run start:web`), from the environment. */
import { z } from 'zod';
import { httpServiceEnv, port, url } from '../../platform/config';

export const webOriginEnv = z.object({
  WEB_PORT: port(3000),
  ...httpServiceEnv,
  /** Where the command API answers, as seen from this process (defaults: the services' own ports on this machine). */
  COMMAND_API_URL: url(['http', 'https'], 'http://command-api:3001').default('http://127.0.0.1:3001'),
  QUERY_API_URL: url(['http', 'https'], 'http://query-api:3002').default('http://127.0.0.1:3002'),
});

export type WebOriginConfig = z.output<typeof webOriginEnv>;
