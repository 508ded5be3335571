/**
 * The console's API types (web/src/api/*.d.ts) must be what the running APIs' OpenAPI documents
 * say today: a route or schema changed without `npm run web:types` fails here, not in a browser.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSystem, type RunningSystem } from '../test/testing/system';
import { generateWebApiTypes, WEB_API_TYPES } from './web-api-types';

const root = new URL('..', import.meta.url).pathname;
let system: RunningSystem;

test.before(async () => {
  system = await startSystem();
});
test.after(async () => {
  await system?.stop();
});

test('the checked-in API types match the OpenAPI documents of the running command and query APIs', async () => {
  const generated = await generateWebApiTypes(system);
  for (const api of ['command', 'query'] as const) {
    const checkedIn = await readFile(join(root, WEB_API_TYPES[api]), 'utf8').catch(() => '(missing)');
    if (checkedIn !== generated[api]) {
      const firstDifference = [...generated[api]].findIndex((char, i) => checkedIn[i] !== char);
      const line = generated[api].slice(0, Math.max(0, firstDifference)).split('\n').length;
      assert.unreachable(
        `${WEB_API_TYPES[api]} is out of date with the ${api} API's OpenAPI document (first difference at line ${line}): run \`npm run web:types\``,
      );
    }
  }
});

test('the generated types carry the routes the console calls', async () => {
  const generated = await generateWebApiTypes(system);
  for (const route of ['"/orders"', '"/orders/{orderId}/cancel"', '"/products/{sku}/price"', '"/operations/saga/parked/replay"'])
    assert.ok(generated.command.includes(route), `command API: ${route}`);
  for (const route of ['"/orders/{orderId}"', '"/checkouts/{orderId}"', '"/notifications"', '"/stats/sales"'])
    assert.ok(generated.query.includes(route), `query API: ${route}`);
});

test.run();
