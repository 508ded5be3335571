import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { insertNotification, insertOrder, setCheckpoint, startQueryApi, type RunningQueryApi } from './testing/fixture';

let api: RunningQueryApi;
let customer: string;
let other: string;
let admin: string;

test.before(async () => {
  api = await startQueryApi({ readYourWritesTimeoutMs: 300 });
  customer = await api.token('frank');
  other = await api.token('grace');
  admin = await api.token('root', 'admin');
});
test.after(async () => {
  await api.close();
});

function product(sku: string, onHand: number, reserved: number) {
  return {
    sku,
    name: `Product ${sku}`,
    price_amount: 1500,
    currency: 'EUR',
    on_hand: onHand,
    reserved,
    sold: 3,
    updated_at: new Date('2026-11-22T08:00:00Z'),
    revision: 4,
    last_position: '10',
  };
}

test('products: one by SKU, the list by SKU in pages, in stock only', async () => {
  await api.knex('products').insert([product('B-2', 5, 5), product('A-1', 10, 4), product('C-3', 1, 0)]);
  const one = await api.get('/products/A-1', { token: customer });
  assert.is(one.status, 200);
  assert.equal(one.body, {
    sku: 'A-1',
    name: 'Product A-1',
    price: { amount: 1500, currency: 'EUR' },
    stock: { onHand: 10, reserved: 4, available: 6, sold: 3 },
    updatedAt: '2026-11-22T08:00:00.000Z',
  });
  assert.is((await api.get('/products/Z-9', { token: customer })).status, 404);
  assert.is((await api.get('/products/A-1')).status, 401);

  const first = await api.get('/products?limit=2', { token: customer });
  assert.equal(
    first.body.items.map((item: { sku: string }) => item.sku),
    ['A-1', 'B-2'],
  );
  const second = await api.get(`/products?limit=2&cursor=${first.body.nextCursor}`, { token: customer });
  assert.equal(
    second.body.items.map((item: { sku: string }) => item.sku),
    ['C-3'],
  );
  assert.is(second.body.nextCursor, null);
  const inStock = await api.get('/products?inStock=true', { token: customer });
  assert.equal(
    inStock.body.items.map((item: { sku: string }) => item.sku),
    ['A-1', 'C-3'],
  );
});

test('checkouts: the steps of an order, to its owner or an admin only', async () => {
  const orderId = await insertOrder(api.knex, { customerId: 'frank' });
  await api.knex('checkout_progress').insert({
    order_id: orderId,
    status: 'compensating',
    current_step: 'CheckoutCompensationStarted',
    steps: JSON.stringify([
      { type: 'CheckoutStarted', at: '2026-11-22T08:00:00.000Z', revision: 0, data: {} },
      { type: 'CheckoutCompensationStarted', at: '2026-11-22T08:00:01.000Z', revision: 1, data: { reason: 'payment_declined' } },
    ]),
    started_at: new Date('2026-11-22T08:00:00Z'),
    updated_at: new Date('2026-11-22T08:00:01Z'),
    revision: 1,
    last_position: '11',
  });
  const own = await api.get(`/checkouts/${orderId}`, { token: customer });
  assert.is(own.status, 200);
  assert.equal(own.body, {
    orderId,
    status: 'compensating',
    currentStep: 'CheckoutCompensationStarted',
    steps: [
      { type: 'CheckoutStarted', at: '2026-11-22T08:00:00.000Z', revision: 0, data: {} },
      { type: 'CheckoutCompensationStarted', at: '2026-11-22T08:00:01.000Z', revision: 1, data: { reason: 'payment_declined' } },
    ],
    startedAt: '2026-11-22T08:00:00.000Z',
    updatedAt: '2026-11-22T08:00:01.000Z',
  });
  assert.is((await api.get(`/checkouts/${orderId}`, { token: other })).status, 404);
  assert.is((await api.get(`/checkouts/${orderId}`, { token: admin })).status, 200);

  // Read-your-writes waits for both read models the route joins.
  await setCheckpoint(api.knex, 'checkout_progress', 50n);
  await setCheckpoint(api.knex, 'orders', 40n);
  const behind = await api.get(`/checkouts/${orderId}?minPosition=45`, { token: customer });
  assert.is(behind.status, 503);
  assert.equal(
    behind.body.readModels.map((model: { name: string }) => model.name),
    ['checkout_progress', 'orders'],
  );
  await setCheckpoint(api.knex, 'orders', 45n);
  assert.is((await api.get(`/checkouts/${orderId}?minPosition=45`, { token: customer })).status, 200);
});

test('stats: admins only; per day and SKU with totals per currency over the range', async () => {
  await api.knex('sales_daily').insert([
    { day: '2026-11-20', sku: 'A-1', currency: 'EUR', units: 3, revenue: 4500, orders: 2 },
    { day: '2026-11-21', sku: 'A-1', currency: 'EUR', units: 1, revenue: 1500, orders: 1 },
    { day: '2026-11-21', sku: 'B-2', currency: 'USD', units: 2, revenue: 1000, orders: 1 },
    { day: '2026-11-25', sku: 'A-1', currency: 'EUR', units: 9, revenue: 9999, orders: 9 },
  ]);
  assert.is((await api.get('/stats/sales', { token: customer })).status, 403);
  const stats = await api.get('/stats/sales?from=2026-11-20&to=2026-11-22', { token: admin });
  assert.is(stats.status, 200);
  assert.equal(stats.body, {
    from: '2026-11-20',
    to: '2026-11-22',
    days: [
      { day: '2026-11-20', sku: 'A-1', currency: 'EUR', units: 3, revenue: '4500', orders: 2 },
      { day: '2026-11-21', sku: 'A-1', currency: 'EUR', units: 1, revenue: '1500', orders: 1 },
      { day: '2026-11-21', sku: 'B-2', currency: 'USD', units: 2, revenue: '1000', orders: 1 },
    ],
    totals: [
      { currency: 'EUR', units: 4, revenue: '6000' },
      { currency: 'USD', units: 2, revenue: '1000' },
    ],
  });
  const reversed = await api.get('/stats/sales?from=2026-11-22&to=2026-11-20', { token: admin });
  assert.is(reversed.status, 400);
  assert.is((await api.get('/stats/sales?from=2026-02-30', { token: admin })).status, 400);
});

test('notifications over HTTP: own ones after the last seen, in order; another user’s id is refused', async () => {
  const n1 = await insertNotification(api.knex, { userId: 'frank', position: 100n });
  const theirs = await insertNotification(api.knex, { userId: 'grace', position: 101n });
  const n2 = await insertNotification(api.knex, {
    userId: 'frank',
    position: 102n,
    type: 'OrderCancelled',
    data: { reason: 'out_of_stock', sku: 'A-1' },
  });
  const low = await insertNotification(api.knex, { userId: '*', audience: 'admin', type: 'LowStock', orderId: null, position: 102n });
  const n3 = await insertNotification(api.knex, { userId: 'frank', position: 103n });

  const all = await api.get('/notifications', { token: customer });
  assert.equal(all.body, { items: [n1, n2, n3], more: false });
  const after = await api.get(`/notifications?after=${n1.id}&limit=1`, { token: customer });
  assert.equal(after.body, { items: [n2], more: true });
  assert.equal((await api.get(`/notifications?after=${n2.id}`, { token: customer })).body.items, [n3]);

  const foreign = await api.get(`/notifications?after=${theirs.id}`, { token: customer });
  assert.is(foreign.status, 400);
  assert.equal(foreign.body.errors, [{ in: 'querystring', path: '/after', message: 'is not the id of one of your notifications' }]);

  const root = await api.get('/notifications', { token: admin });
  assert.equal(root.body.items, [low], 'an admin gets the admin audience (and their own customer ones)');
});

test('the OpenAPI document lists every route', async () => {
  const docs = await api.get('/docs/json');
  assert.is(docs.status, 200);
  const paths = Object.keys(docs.body.paths).filter((path) => !['/health', '/ready', '/metrics'].includes(path));
  assert.equal(paths.sort(), [
    '/checkouts/{orderId}',
    '/notifications',
    '/operations/projections',
    '/orders',
    '/orders/{orderId}',
    '/products',
    '/products/{sku}',
    '/stats/sales',
  ]);
  const ready = await api.get('/ready');
  assert.equal(ready.body, {
    status: 'ready',
    checks: [
      { name: 'postgres', ready: true },
      { name: 'nats', ready: true },
    ],
  });
});

test.run();
