/**
 * Whatever a client sends, the command API answers a success or a problem+json naming what was
 * wrong — never a 5xx, never an error in its log — and stays up. Random requests over every
 * operation in its OpenAPI document (platform/testing/http-fuzzing.ts), against the real emulator.
 * FUZZ_RUNS sets about how many (default 400, and half as many again with either role); a failure
 * prints the seed that repeats it (FUZZ_SEED).
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { faultsOf, fuzzRequests, operationKey, operationsOf, sendFuzzRequest } from '../platform/testing/http-fuzzing';
import { startCommandApi, validCommandBodies, type CommandApiFixture } from './testing/fixture';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

let api: CommandApiFixture;

test.before(async () => {
  api = await startCommandApi();
});
test.after(async () => {
  await api.close();
});

test('any request gets a success or a problem+json, never a 5xx, and the API stays up', async () => {
  const admin = await api.token('fuzz-admin', 'admin');
  const customer = await api.token('fuzz-customer', 'customer');
  const price = { amount: 1250, currency: 'EUR' };
  assert.is((await api.call('POST', '/products', { token: admin, body: { sku: 'FUZZ-1', name: 'Fuzz mug', price } })).status, 201);
  assert.is((await api.call('POST', '/products/FUZZ-1/stock', { token: admin, body: { quantity: 1000 } })).status, 200);
  const placed = await api.call('POST', '/orders', {
    token: customer,
    body: { lines: [{ sku: 'FUZZ-1', quantity: 1 }], paymentToken: 'tok_ok' },
  });
  assert.is(placed.status, 202);

  const document = (await (await fetch(`${api.baseUrl}/docs/json`)).json()) as Parameters<typeof operationsOf>[0];
  // The probes take no input; the health check at the end covers them.
  const operations = operationsOf(document).filter((operation) => !['/health', '/ready', '/metrics'].includes(operation.path));
  const validBodies = validCommandBodies('FUZZ-1');
  // A route added later is fuzzed from a valid body too, or this says which one is missing.
  for (const operation of operations.filter(({ hasBody }) => hasBody))
    assert.ok(operationKey(operation) in validBodies, `no valid body for ${operationKey(operation)}`);
  assert.ok(operations.length >= 5, `the document lists ${operations.length} operations`);

  const seen = new Map<number, number>();
  const knownValues = { sku: ['FUZZ-1', 'NO-SUCH-SKU'], orderId: [placed.body.orderId as string, '00000000-0000-4000-8000-000000000000'] };
  const property = (tokens: string[], only = operations) =>
    fc.asyncProperty(fuzzRequests({ operations: only, validBodies, tokens, knownValues }), async (request) => {
      const answer = await sendFuzzRequest(api.baseUrl, request);
      seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
      const faults = faultsOf(answer);
      assert.equal(
        faults,
        [],
        `${request.method} ${request.path} ${JSON.stringify(request.headers)} ${request.body?.slice(0, 300)}\n→ ${answer.status} ${answer.text.slice(0, 300)}`,
      );
    });
  const options = (numRuns: number) => ({ numRuns, seed: SEED, includeErrorInReport: true });
  // Every operation with the role that may call it, so most requests reach its handler...
  const roleOf = (path: string) => (path === '/orders' || path.endsWith('/cancel') ? customer : admin);
  for (const operation of operations)
    await fc.assert(property([roleOf(operation.path)], [operation]), options(Math.ceil(RUNS / operations.length)));
  // ...and all of them with either role.
  await fc.assert(property([admin, customer]), options(Math.ceil(RUNS / 2)));

  if (process.env.FUZZ_VERBOSE) console.log(Object.fromEntries(seen));
  const errors = api.logLines.filter((line) => Number(line.level) >= 50);
  assert.equal(
    errors.map((line) => line.msg),
    [],
    'nothing was logged as an error',
  );
  // The requests reached the handlers, not only the validation in front of them.
  const statuses = [...seen.keys()];
  const among = JSON.stringify(Object.fromEntries(seen));
  for (const status of [201, 202, 400, 401, 404]) assert.ok(statuses.includes(status), `no ${status} among ${among}`);
  assert.is((await api.call('GET', '/health')).status, 200);
});

test.run();
