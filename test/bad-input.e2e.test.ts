/**
 * What the command API accepts, the rest of the system can carry: random requests
 * (platform/testing/http-fuzzing.ts) against the whole system, then every projection must still be
 * applying events (none stopped on one it could not store), every accepted order's checkout
 * must end, and the saga must have parked nothing. The command API's own fuzzing
 * (command-api/request-fuzzing.int.test.ts) checks the answers; this checks what they let in.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validCommandBodies } from '../command-api/testing/fixture';
import { fuzzRequests, operationsOf, sendFuzzRequest, type OpenApiDocument } from '../platform/testing/http-fuzzing';
import { connectEventStore } from '../platform/eventstore';
import { settle } from '../projectors/testing/fixture';
import { eventually } from '../platform/testing/eventually';
import { stockProduct } from './testing/customer';
import { startSystem, type RunningSystem } from './testing/system';

/** Requests per operation. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

let system: RunningSystem;

test.before(async () => {
  system = await startSystem({ saga: { paymentDeadlineMs: 300, checkoutDeadlineMs: 3000 } });
});
test.after(async () => {
  await system.stop();
});

test('nothing the command API accepts stops a projection or the saga', async () => {
  await stockProduct(system, 'FUZZ-1', { quantity: 100_000 });
  const admin = await system.token('fuzz-admin', 'admin');
  const customer = await system.token('fuzz-customer', 'customer');
  const document = (await (await fetch(`${system.commandUrl}/docs/json`)).json()) as OpenApiDocument;
  const operations = operationsOf(document).filter((operation) => !['/health', '/ready', '/metrics'].includes(operation.path));
  const validBodies = validCommandBodies('FUZZ-1');

  // Each operation with the role that may call it, so most requests get past the auth check.
  const roleOf = (path: string) => (path === '/orders' || path.endsWith('/cancel') ? customer : admin);
  const accepted: string[] = [];
  for (const operation of operations) {
    await fc.assert(
      fc.asyncProperty(
        fuzzRequests({
          operations: [operation],
          validBodies,
          tokens: [roleOf(operation.path)],
          knownValues: { sku: ['FUZZ-1'], orderId: accepted.slice(0, 3) },
        }),
        async (request) => {
          const answer = await sendFuzzRequest(system.commandUrl, request);
          assert.ok(answer.status < 500, `${request.method} ${request.path} → ${answer.status} ${answer.text.slice(0, 300)}`);
          if (answer.status === 202 && request.path === '/orders') accepted.push((JSON.parse(answer.text) as { orderId: string }).orderId);
        },
      ),
      { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
    );
  }
  assert.ok(accepted.length > 0, 'some orders were accepted');

  // Every accepted order's checkout ends, whatever its token (the sandbox declines the ones it does not know).
  await eventually(
    'every accepted checkout ended',
    async () => {
      const open = await system
        .knex('checkout_progress')
        .whereIn('order_id', accepted)
        .whereNotIn('status', ['completed', 'compensated'])
        .count<{ count: string }[]>('* as count');
      const ended = await system.knex('checkout_progress').whereIn('order_id', accepted).count<{ count: string }[]>('* as count');
      return Number(open[0]!.count) === 0 && Number(ended[0]!.count) === accepted.length ? true : undefined;
    },
    // Hundreds of checkouts, each through the sandbox: generous, so a busy machine is not a failure.
    { timeoutMs: 120_000 },
  );
  const { runners } = system.services.projectors;
  const client = connectEventStore(system.eventStoreUrl);
  await settle(client, runners).finally(() => client.dispose());
  assert.equal(
    runners
      .filter((runner) => runner.state !== 'live')
      .map((runner) => `${runner.projection.name}: ${runner.state} ${runner.failure?.message ?? ''}`),
    [],
  );
  const parked = (await system.services.saga.metrics.parked.get()).values.reduce((sum, { value }) => sum + value, 0);
  assert.is(parked, 0, 'the saga parked nothing');
});

test.run();
