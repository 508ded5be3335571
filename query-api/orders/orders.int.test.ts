import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { insertOrder, setCheckpoint, startQueryApi, type RunningQueryApi } from '../testing/fixture';

let api: RunningQueryApi;
let alice: string;
let bob: string;
let admin: string;

test.before(async () => {
  api = await startQueryApi({ readYourWritesTimeoutMs: 600 });
  alice = await api.token('alice');
  bob = await api.token('bob');
  admin = await api.token('root', 'admin');
});
test.after(async () => {
  await api.close();
});

test('an order is shown to its owner and to an admin; another customer gets 404, no token 401', async () => {
  const orderId = await insertOrder(api.knex, {
    customerId: 'alice',
    lines: [
      { sku: 'MUG', quantity: 2, unitPrice: { amount: 1250, currency: 'EUR' } },
      { sku: 'TEE', quantity: 1, unitPrice: { amount: 1999, currency: 'EUR' } },
    ],
    placedAt: new Date('2026-11-20T10:00:00.000Z'),
  });

  const own = await api.get(`/orders/${orderId}`, { token: alice });
  assert.is(own.status, 200);
  assert.equal(own.body, {
    orderId,
    customerId: 'alice',
    status: 'placed',
    lines: [
      { sku: 'MUG', quantity: 2, unitPrice: { amount: 1250, currency: 'EUR' } },
      { sku: 'TEE', quantity: 1, unitPrice: { amount: 1999, currency: 'EUR' } },
    ],
    total: { amount: 4499, currency: 'EUR' },
    payment: { status: 'pending', reference: null, declineReason: null },
    cancellation: null,
    placedAt: '2026-11-20T10:00:00.000Z',
    confirmedAt: null,
    updatedAt: '2026-11-20T10:00:00.000Z',
    timeline: [{ type: 'OrderPlaced', at: '2026-11-20T10:00:00.000Z', stream: 'order', revision: 0 }],
  });

  assert.is((await api.get(`/orders/${orderId}`, { token: admin })).status, 200);

  const foreign = await api.get(`/orders/${orderId}`, { token: bob });
  assert.is(foreign.status, 404);
  assert.is(foreign.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.is(foreign.body.detail, `No order ${orderId}`, 'the same answer as for an order that does not exist');
  assert.is((await api.get('/orders/no-such-order', { token: bob })).body.detail, 'No order no-such-order');

  assert.is((await api.get(`/orders/${orderId}`)).status, 401);
});

test('GET /orders: a customer lists only their own, an admin everyone’s, filtered by status', async () => {
  await api.knex('orders').delete();
  const a1 = await insertOrder(api.knex, { customerId: 'carol', status: 'confirmed', placedAt: new Date('2026-11-21T09:00:00Z') });
  const a2 = await insertOrder(api.knex, { customerId: 'carol', status: 'cancelled', placedAt: new Date('2026-11-21T10:00:00Z') });
  const d1 = await insertOrder(api.knex, { customerId: 'dave', status: 'confirmed', placedAt: new Date('2026-11-21T11:00:00Z') });
  const carol = await api.token('carol');

  const own = await api.get('/orders', { token: carol });
  assert.is(own.status, 200);
  assert.equal(
    own.body.items.map((item: { orderId: string }) => item.orderId),
    [a2, a1],
    'newest first, only carol’s',
  );
  assert.is(own.body.nextCursor, null);
  assert.equal(own.body.items[0], {
    orderId: a2,
    customerId: 'carol',
    status: 'cancelled',
    total: { amount: 2500, currency: 'EUR' },
    paymentStatus: 'pending',
    cancellationReason: null,
    lineCount: 1,
    placedAt: '2026-11-21T10:00:00.000Z',
    updatedAt: '2026-11-21T10:00:00.000Z',
  });

  const confirmed = await api.get('/orders?status=confirmed', { token: admin });
  assert.equal(
    confirmed.body.items.map((item: { orderId: string }) => item.orderId),
    [d1, a1],
  );
  const daves = await api.get('/orders?customerId=dave', { token: admin });
  assert.equal(
    daves.body.items.map((item: { orderId: string }) => item.orderId),
    [d1],
  );
  const ignored = await api.get('/orders?customerId=dave', { token: carol });
  assert.equal(
    ignored.body.items.map((item: { orderId: string }) => item.orderId),
    [a2, a1],
    'a customer cannot list another’s orders',
  );

  const bad = await api.get('/orders?status=shipped&limit=0', { token: carol });
  assert.is(bad.status, 400);
  assert.equal(bad.body.errors.map((error: { path: string }) => error.path).sort(), ['/limit', '/status']);
  const forged = await api.get('/orders?cursor=bm9wZQ', { token: carol });
  assert.is(forged.status, 400);
  assert.equal(forged.body.errors, [
    { in: 'querystring', path: '/cursor', message: 'is not a cursor this API gave out (pass nextCursor back unchanged)' },
  ]);
  // Well-formed but crafted: a time beyond what the database can cast, a NUL in the order id.
  for (const crafted of [
    { placedAtUs: '99999999999999999999', orderId: 'o' },
    { placedAtUs: '-9223372036854775808', orderId: 'o' },
    { placedAtUs: '1', orderId: 'o\u0000' },
  ]) {
    const answer = await api.get(`/orders?cursor=${Buffer.from(JSON.stringify(crafted)).toString('base64url')}`, { token: carol });
    assert.is(answer.status, 400, JSON.stringify(crafted));
  }
});

test('keyset pagination is stable under inserts: every order exactly once, in order', async () => {
  await api.knex('orders').delete();
  const base = Date.parse('2026-11-22T12:00:00.000Z');
  const seeded: string[] = [];
  // 23 orders; three pairs share a millisecond, so the order id must break ties.
  for (let i = 0; i < 23; i++) {
    const at = new Date(base + Math.floor(i / 2) * 1000 + (i % 2 === 1 && i < 6 ? 0 : (i % 2) * 1));
    seeded.push(await insertOrder(api.knex, { customerId: 'erin', orderId: `order-${String(i).padStart(2, '0')}`, placedAt: at }));
  }
  const erin = await api.token('erin');
  const expected = (await api
    .knex('orders')
    .where({ customer_id: 'erin' })
    .orderBy([
      { column: 'placed_at', order: 'desc' },
      { column: 'order_id', order: 'desc' },
    ])
    .pluck('order_id')) as string[];
  assert.is(expected.length, 23);

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: { status: number; body: { items: { orderId: string }[]; nextCursor: string | null } } = await api.get(
      `/orders?limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      { token: erin },
    );
    assert.is(page.status, 200);
    seen.push(...page.body.items.map((item) => item.orderId));
    cursor = page.body.nextCursor;
    pages++;
    // A new order arrives while the client pages (it goes first, so no later page shifts).
    await insertOrder(api.knex, { customerId: 'erin', placedAt: new Date(base + 3_600_000 + pages) });
  } while (cursor);
  assert.is(pages, 5);
  assert.equal(seen, expected, 'the 23 orders that existed at the start, each once, newest first');
});

test('read your writes: a request with X-Min-Position waits until the orders projection has applied it', async () => {
  await setCheckpoint(api.knex, 'orders', 100n);
  const orderId = 'ryw-order';
  const started = Date.now();
  const pending = api.get(`/orders/${orderId}`, { token: alice, headers: { 'x-min-position': '120' } });
  await sleep(250);
  // The projection commits the order and its checkpoint together, as it does.
  await api.knex.transaction(async (trx) => {
    await insertOrder(trx, { customerId: 'alice', orderId, position: 120n });
    await trx('projection_checkpoints').where({ projection: 'orders' }).update({ commit_position: '120', prepare_position: '120' });
  });
  const answer = await pending;
  assert.is(answer.status, 200);
  assert.is(answer.body.orderId, orderId);
  assert.ok(Date.now() - started >= 250, 'it waited for the projection');

  // Already applied: answers at once, also with the query parameter and the JSON form.
  assert.is((await api.get(`/orders/${orderId}?minPosition=120`, { token: alice })).status, 200);
  assert.is(
    (await api.get(`/orders/${orderId}`, { token: alice, headers: { 'x-min-position': '{"commit":"119","prepare":"119"}' } })).status,
    200,
  );
});

test('read your writes: past the deadline 503 with Retry-After and how far the projection got; malformed 400', async () => {
  await setCheckpoint(api.knex, 'orders', 130n);
  const started = Date.now();
  const late = await api.get('/orders', { token: alice, headers: { 'x-min-position': '131/131' } });
  const waited = Date.now() - started;
  assert.is(late.status, 503);
  assert.is(late.headers.get('retry-after'), '1');
  assert.is(late.body.type, 'urn:checkout:problem:read-model-behind');
  assert.equal(late.body.minPosition, { commit: '131', prepare: '131' });
  assert.equal(late.body.readModels, [{ name: 'orders', position: { commit: '130', prepare: '130' }, stopped: false }]);
  assert.ok(waited >= 600 && waited < 2000, `waited ${waited} ms, the configured 600 ms`);

  const malformed = await api.get('/orders?minPosition=yesterday', { token: alice });
  assert.is(malformed.status, 400);
  assert.equal(
    malformed.body.errors.map((error: { in: string; path: string }) => `${error.in}${error.path}`),
    ['querystring/minPosition'],
  );
});

test.run();
