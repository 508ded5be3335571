/**
 * `npm run web:types`: starts the whole system on ephemeral ports (PostgreSQL and NATS must be
 * running, as for the end-to-end tests), writes the console's API types from the APIs' OpenAPI
 * documents to web/src/api/, and stops the system.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSystem } from '../test/testing/system';
import { generateWebApiTypes, WEB_API_TYPES } from './web-api-types';

const root = new URL('..', import.meta.url).pathname;
const system = await startSystem();
try {
  const types = await generateWebApiTypes(system);
  await writeFile(join(root, WEB_API_TYPES.command), types.command);
  await writeFile(join(root, WEB_API_TYPES.query), types.query);
  process.stdout.write(`wrote ${WEB_API_TYPES.command} and ${WEB_API_TYPES.query}\n`);
} finally {
  await system.stop();
}
