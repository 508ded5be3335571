import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { orderSchemaVersion } from '../../domain';
import { storedEvents, storedRevisionAndPosition, startCommandApi, type CommandApiFixture } from '../testing/fixture';

const NOW = new Date('2026-03-01T10:00:00.000Z');
let ids = 0;
let api: CommandApiFixture;
let admin: string;
let carla: string;
let dora: string;

test.before(async () => {
  api = await startCommandApi({ clock: () => NOW, newId: () => `order-id-${++ids}` });
  admin = await api.token('ada', 'admin');
  carla = await api.token('carla', 'customer');
  dora = await api.token('dora', 'customer');
  for (const [sku, amount] of [
    ['MUG', 1299],
    ['PEN', 150],
    ['LAMP', 4000],
  ] as const) {
    assert.is(
      (await api.call('POST', '/products', { token: admin, body: { sku, name: sku.toLowerCase(), price: { amount, currency: 'EUR' } } }))
        .status,
      201,
    );
  }
});
test.after(async () => {
  await api.close();
});

const placeOrder = (token: string, lines: unknown, paymentToken = 'tok_approve') =>
  api.call('POST', '/orders', { token, body: { lines, paymentToken } });

/** What the checkout saga would write; the command API never confirms an order itself. */
async function confirm(client: EventStoreDBClient, orderId: string) {
  await client.appendToStream(
    `order-${orderId}`,
    jsonEvent({
      type: 'OrderConfirmed',
      data: { orderId, confirmedAt: NOW.toISOString() },
      metadata: { schemaVersion: orderSchemaVersion.OrderConfirmed },
    }),
  );
}

test('POST /orders → 202 with the order id, revision and position; OrderPlaced with the shop’s current prices', async () => {
  const answer = await api.call('POST', '/orders', {
    token: carla,
    // A client-sent unitPrice would be refused (strict body): prices are never the client's.
    body: {
      lines: [
        { sku: 'MUG', quantity: 2 },
        { sku: 'PEN', quantity: 3 },
      ],
      paymentToken: 'tok_approve',
    },
    headers: { 'x-correlation-id': 'place-1' },
  });
  assert.is(answer.status, 202);
  const orderId = answer.body.orderId as string;
  assert.is(orderId, `order-id-${ids}`);
  assert.equal(answer.body, { orderId, ...(await storedRevisionAndPosition(api.client, `order-${orderId}`)) });
  assert.is(answer.body.revision, '0');
  assert.equal(await storedEvents(api.client, `order-${orderId}`), [
    {
      type: 'OrderPlaced',
      data: {
        orderId,
        customerId: 'carla',
        lines: [
          { sku: 'MUG', quantity: 2, unitPrice: { amount: 1299, currency: 'EUR' } },
          { sku: 'PEN', quantity: 3, unitPrice: { amount: 150, currency: 'EUR' } },
        ],
        total: { amount: 3048, currency: 'EUR' },
        paymentToken: 'tok_approve',
        placedAt: '2026-03-01T10:00:00.000Z',
      },
      metadata: { correlationId: 'place-1', causationId: 'place-1', actor: 'carla', schemaVersion: 1 },
    },
  ]);
});

test('an order takes the price in force when it is placed', async () => {
  assert.is(
    (await api.call('PUT', '/products/LAMP/price', { token: admin, body: { price: { amount: 3500, currency: 'EUR' } } })).status,
    200,
  );
  const answer = await placeOrder(carla, [{ sku: 'LAMP', quantity: 1 }]);
  assert.is(answer.status, 202);
  const [placed] = await storedEvents(api.client, `order-${answer.body.orderId}`);
  assert.equal((placed?.data as { lines: unknown; total: unknown }).lines, [
    { sku: 'LAMP', quantity: 1, unitPrice: { amount: 3500, currency: 'EUR' } },
  ]);
  assert.equal((placed?.data as { total: unknown }).total, { amount: 3500, currency: 'EUR' });
});

test('unknown SKUs → 404 unknown-sku naming each of them; no order written', async () => {
  const before = ids;
  const answer = await placeOrder(carla, [
    { sku: 'MUG', quantity: 1 },
    { sku: 'GHOST', quantity: 1 },
    { sku: 'YETI', quantity: 2 },
  ]);
  assert.is(answer.status, 404);
  assert.equal(
    { type: answer.body.type, code: answer.body.code, skus: answer.body.skus, instance: answer.body.instance },
    { type: 'urn:checkout:problem:unknown-sku', code: 'not_registered', skus: ['GHOST', 'YETI'], instance: '/orders' },
  );
  assert.is(ids, before + 1);
  assert.equal(await storedEvents(api.client, `order-order-id-${ids}`), []);
});

test('invalid orders → 400 with each invalid field: empty, duplicate SKU, bad quantity, client price, missing token', async () => {
  const empty = await placeOrder(carla, []);
  assert.is(empty.status, 400);
  assert.equal(
    (empty.body.errors as { path: string }[]).map((e) => e.path),
    ['/lines'],
  );

  const invalid = await api.call('POST', '/orders', {
    token: carla,
    body: {
      lines: [
        { sku: 'MUG', quantity: 1 },
        { sku: 'PEN', quantity: -1 },
        { sku: 'MUG', quantity: 2, unitPrice: { amount: 1, currency: 'EUR' } },
      ],
    },
  });
  assert.is(invalid.status, 400);
  assert.equal((invalid.body.errors as { in: string; path: string }[]).map((e) => `${e.in} ${e.path}`).sort(), [
    'body /lines/1/quantity',
    'body /lines/2',
    'body /lines/2/sku',
    'body /paymentToken',
  ]);
  const tooMany = await placeOrder(
    carla,
    Array.from({ length: 51 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })),
  );
  assert.is(tooMany.status, 400);
  assert.equal(
    (tooMany.body.errors as { path: string }[]).map((e) => e.path),
    ['/lines'],
  );
  const controlInToken = await api.call('POST', '/orders', {
    token: carla,
    body: { lines: [{ sku: 'MUG', quantity: 1 }], paymentToken: 'tok_ok\u0000' },
  });
  assert.is(controlInToken.status, 400);
  assert.equal(controlInToken.body.errors, [
    { in: 'body', path: '/paymentToken', message: 'payment token must not contain control characters' },
  ]);
});

test('auth: placing needs a customer token (admin → 403, none → 401)', async () => {
  assert.is((await placeOrder(admin, [{ sku: 'MUG', quantity: 1 }])).status, 403);
  const anonymous = await api.call('POST', '/orders', { body: { lines: [{ sku: 'MUG', quantity: 1 }], paymentToken: 't' } });
  assert.is(anonymous.status, 401);
  const expired = await api.call('POST', '/orders', {
    token: 'not.a.jwt',
    body: { lines: [{ sku: 'MUG', quantity: 1 }], paymentToken: 't' },
  });
  assert.is(expired.status, 401);
});

test('POST /orders/:orderId/cancel → 202 and OrderCancellationRequested; asking again writes nothing', async () => {
  const orderId = (await placeOrder(carla, [{ sku: 'PEN', quantity: 1 }])).body.orderId as string;
  const answer = await api.call('POST', `/orders/${orderId}/cancel`, { token: carla, headers: { 'x-correlation-id': 'cancel-1' } });
  assert.is(answer.status, 202);
  assert.equal(answer.body, { orderId, ...(await storedRevisionAndPosition(api.client, `order-${orderId}`)) });
  assert.is(answer.body.revision, '1');
  const events = await storedEvents(api.client, `order-${orderId}`);
  assert.equal(events[1], {
    type: 'OrderCancellationRequested',
    data: { orderId, requestedBy: 'carla', requestedAt: '2026-03-01T10:00:00.000Z' },
    metadata: { correlationId: 'cancel-1', causationId: 'cancel-1', actor: 'carla', schemaVersion: 1 },
  });

  const again = await api.call('POST', `/orders/${orderId}/cancel`, { token: carla });
  assert.is(again.status, 202);
  assert.equal(again.body, { orderId, revision: '1', position: null });
  assert.is((await storedEvents(api.client, `order-${orderId}`)).length, 2);
});

test("another customer's order answers 404 like an unknown one; an admin gets 403", async () => {
  const orderId = (await placeOrder(carla, [{ sku: 'PEN', quantity: 1 }])).body.orderId as string;
  const other = await api.call('POST', `/orders/${orderId}/cancel`, { token: dora });
  const unknown = await api.call('POST', '/orders/no-such-order/cancel', { token: dora });
  assert.is(other.status, 404);
  assert.is(unknown.status, 404);
  const shape = (body: Record<string, unknown>) => ({ type: body.type, title: body.title, code: body.code });
  assert.equal(shape(other.body), { type: 'urn:checkout:problem:order-not-found', title: 'Unknown order', code: 'order_not_found' });
  assert.equal(shape(unknown.body), shape(other.body));
  assert.is(other.body.detail, `No order ${orderId} was found`);
  assert.is((await api.call('POST', `/orders/${orderId}/cancel`, { token: admin })).status, 403);
  assert.is((await storedEvents(api.client, `order-${orderId}`)).length, 1);
});

test('cancelling a confirmed order → 422 order-already-final', async () => {
  const orderId = (await placeOrder(carla, [{ sku: 'MUG', quantity: 1 }])).body.orderId as string;
  await confirm(api.client, orderId);
  const answer = await api.call('POST', `/orders/${orderId}/cancel`, { token: carla });
  assert.is(answer.status, 422);
  assert.equal(
    { type: answer.body.type, code: answer.body.code, detail: answer.body.detail },
    { type: 'urn:checkout:problem:order-already-final', code: 'order_already_final', detail: `order ${orderId} is already confirmed` },
  );
  assert.equal(
    (await storedEvents(api.client, `order-${orderId}`)).map((event) => event.type),
    ['OrderPlaced', 'OrderConfirmed'],
  );
});

test('an invalid order id in the path → 400', async () => {
  const answer = await api.call('POST', '/orders/a%20b/cancel', { token: carla });
  assert.is(answer.status, 400);
  assert.equal(
    (answer.body.errors as { in: string; path: string }[]).map((e) => [e.in, e.path]),
    [['params', '/orderId']],
  );
});

test.run();
