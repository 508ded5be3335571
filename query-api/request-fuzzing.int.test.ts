/**
 * Whatever a client sends, the query API answers a success or a problem+json naming what was
 * wrong — never a 5xx other than the 503 of a read-your-writes wait that ran out, never an
 * error in its log — and stays up; a socket.io handshake with any `auth` is refused or accepted,
 * never a crash. Random requests over every operation in its OpenAPI document
 * (platform/testing/http-fuzzing.ts), over real Postgres rows. FUZZ_RUNS sets how many (default 400);
 * a failure prints the seed that repeats it (FUZZ_SEED).
 */
import fc from 'fast-check';
import { io } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { faultsOf, fuzzRequests, operationsOf, sendFuzzRequest, type OpenApiDocument } from '../platform/testing/http-fuzzing';
import { createCapturingLogger } from '../platform/testing/capturing-logger';
import { insertNotification, insertOrder, setCheckpoint, startQueryApi, type RunningQueryApi } from './testing/fixture';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const PROJECTIONS = ['orders', 'products', 'checkout_progress', 'sales', 'notifications'];

let api: RunningQueryApi;
let lines: Record<string, unknown>[];

test.before(async () => {
  const capturing = createCapturingLogger();
  lines = capturing.lines;
  // A position no projection reaches answers 503 after this wait; short, so the run stays short.
  api = await startQueryApi({ readYourWritesTimeoutMs: 20, logger: capturing.logger });
});
test.after(async () => {
  await api.close();
});

const errorsLogged = () => lines.filter((line) => Number(line.level) >= 50).map((line) => line.msg);

test('any request gets a success or a problem+json, never a 5xx, and the API stays up', async () => {
  const orderIds = [];
  for (let i = 0; i < 3; i++)
    orderIds.push(
      await insertOrder(api.knex, {
        customerId: 'fuzz-customer',
        status: i === 0 ? 'confirmed' : 'placed',
        placedAt: new Date(Date.UTC(2026, 11, 1 + i)),
      }),
    );
  const now = new Date();
  await api.knex('products').insert({
    sku: 'FUZZ-1',
    name: 'Fuzz mug',
    price_amount: 1250,
    currency: 'EUR',
    on_hand: 10,
    reserved: 1,
    sold: 2,
    updated_at: now,
    revision: 3,
    last_position: '5',
  });
  await api.knex('checkout_progress').insert({
    order_id: orderIds[0],
    status: 'completed',
    current_step: 'CheckoutCompleted',
    steps: JSON.stringify([]),
    started_at: now,
    updated_at: now,
    revision: 9,
    last_position: '9',
  });
  await api.knex('sales_daily').insert({ day: '2026-12-01', sku: 'FUZZ-1', currency: 'EUR', units: 2, revenue: 2500, orders: 1 });
  await insertNotification(api.knex, { userId: 'fuzz-customer', orderId: orderIds[0], position: 9n });
  for (const projection of PROJECTIONS) await setCheckpoint(api.knex, projection, 100n);

  const admin = await api.token('fuzz-admin', 'admin');
  const customer = await api.token('fuzz-customer', 'customer');
  const page = await api.get('/orders?limit=1', { token: customer });
  assert.is(page.status, 200);
  const cursor = page.body.nextCursor as string;
  assert.type(cursor, 'string');

  const document = (await (await fetch(`${api.baseUrl}/docs/json`)).json()) as OpenApiDocument;
  const operations = operationsOf(document).filter((operation) => !['/health', '/ready', '/metrics'].includes(operation.path));
  assert.ok(operations.length >= 7, `the document lists ${operations.length} operations`);

  const seen = new Map<number, number>();
  const requests = fuzzRequests({
    operations,
    validBodies: {},
    tokens: [admin, customer],
    knownValues: { id: orderIds, orderId: [...orderIds, '00000000-0000-4000-8000-000000000000'], sku: ['FUZZ-1', 'NO-SUCH-SKU'] },
    validQueryValues: {
      cursor: [cursor],
      status: ['placed', 'confirmed', 'cancelled'],
      limit: ['1', '2', '100'],
      after: ['0', '1'],
      from: ['2026-12-01'],
      to: ['2026-12-31'],
      sku: ['FUZZ-1'],
      customerId: ['fuzz-customer'],
      minPosition: ['50/50', '100/100', '1000/1000'],
      inStock: ['true', 'false'],
    },
    validHeaderValues: { 'x-min-position': ['50/50', '100/100', '1000/1000'] },
  });
  await fc.assert(
    fc.asyncProperty(requests, async (request) => {
      const answer = await sendFuzzRequest(api.baseUrl, request);
      seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
      const faults = faultsOf(answer, { unavailableAllowed: true });
      assert.equal(
        faults,
        [],
        `${request.method} ${request.path} ${JSON.stringify(request.headers)}\n→ ${answer.status} ${answer.text.slice(0, 300)}`,
      );
    }),
    { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
  );
  if (process.env.FUZZ_VERBOSE) console.log(Object.fromEntries(seen));

  assert.equal(errorsLogged(), [], 'nothing was logged as an error');
  for (const status of [200, 400, 401, 404]) assert.ok(seen.has(status), `no ${status} among ${JSON.stringify(Object.fromEntries(seen))}`);
  assert.is((await api.get('/health')).status, 200);
});

test('a socket.io handshake with any auth is accepted or refused, and the server stays up', async () => {
  const customer = await api.token('fuzz-customer', 'customer');
  const auth = fc.oneof(
    fc.constant({ token: customer }),
    fc.record({ token: fc.oneof(fc.jsonValue(), fc.constant(`${customer}x`), fc.string()) }, { requiredKeys: [] }),
    fc.record({
      token: fc.constant(customer),
      lastNotificationId: fc.oneof(fc.jsonValue(), fc.string(), fc.integer(), fc.constantFrom('\u0000', '1\u0000', '-1', '1e999')),
    }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  );
  const outcomes = { connected: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(auth, async (handshake) => {
      const socket = io(api.baseUrl, {
        auth: handshake as Record<string, unknown>,
        transports: ['websocket'],
        reconnection: false,
        timeout: 2000,
      });
      try {
        const outcome = await new Promise<string>((resolve) => {
          socket.once('connect', () => resolve('connected'));
          socket.once('connect_error', (error) => resolve(error.message === 'timeout' ? 'timeout' : 'refused'));
        });
        assert.ok(outcome !== 'timeout', `the handshake ${JSON.stringify(handshake)} got no answer`);
        outcomes[outcome as 'connected' | 'refused']++;
      } finally {
        socket.disconnect();
      }
    }),
    { numRuns: Math.ceil(RUNS / 4), seed: SEED, includeErrorInReport: true },
  );
  assert.ok(outcomes.connected > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
  assert.equal(errorsLogged(), [], 'nothing was logged as an error');
  assert.is((await api.get('/health')).status, 200);
});

test.run();
