/**
 * Live read-model changes over real socket.io, from real Postgres rows: when a projection's
 * checkpoint moves, the rows it changed go out as `product` (every socket), `order` and
 * `checkout` (the owner and admins) — each exactly what its GET route answers.
 */
import { io, type Socket } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { insertOrder, setCheckpoint, startQueryApi, type RunningQueryApi } from '../testing/fixture';

let api: RunningQueryApi;
const sockets: Socket[] = [];

test.before(async () => {
  // Two rows per query: the last test changes more than that in one go.
  api = await startQueryApi({ settings: { maxChangedRowsPerQuery: 2 } });
  await api.app.notifications.watchingReadModels();
});
test.after(async () => {
  for (const socket of sockets) socket.disconnect();
  await api.close();
});

interface Watcher {
  products: Record<string, unknown>[];
  orders: Record<string, unknown>[];
  checkouts: Record<string, unknown>[];
  /** Resolves once `condition` holds (checked on every event), rejects after `timeoutMs`. */
  until(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

async function watch(sub: string, role: 'customer' | 'admin' = 'customer'): Promise<Watcher> {
  const socket = io(api.baseUrl, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { token: await api.token(sub, role) },
  });
  sockets.push(socket);
  const checks = new Set<() => void>();
  const watcher: Watcher = {
    products: [],
    orders: [],
    checkouts: [],
    until: (condition, what, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!condition()) return;
          clearTimeout(timer);
          checks.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          checks.delete(check);
          reject(
            new Error(
              `${sub}: timed out waiting for ${what}; got ${JSON.stringify({ products: watcher.products.length, orders: watcher.orders.map((o) => o.orderId), checkouts: watcher.checkouts.length })}`,
            ),
          );
        }, timeoutMs);
        checks.add(check);
        check();
      }),
  };
  const record = (list: Record<string, unknown>[]) => (payload: Record<string, unknown>) => {
    list.push(payload);
    for (const check of [...checks]) check();
  };
  socket.on('product', record(watcher.products));
  socket.on('order', record(watcher.orders));
  socket.on('checkout', record(watcher.checkouts));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return watcher;
}

let position = 100n;
const nextPosition = () => ++position;

async function upsertProduct(sku: string, onHand: number): Promise<void> {
  const row = {
    sku,
    name: `Product ${sku}`,
    price_amount: 1250,
    currency: 'EUR',
    on_hand: onHand,
    reserved: 1,
    sold: 0,
    updated_at: new Date(),
    revision: Number(position),
    last_position: String(nextPosition()),
  };
  await api.knex('products').insert(row).onConflict('sku').merge();
}

async function moveCheckpoints(...projections: string[]): Promise<void> {
  for (const projection of projections) await setCheckpoint(api.knex, projection, position);
}

const byId = (list: Record<string, unknown>[], orderId: string) => list.filter((item) => item.orderId === orderId);

test('a customer gets its own order and checkout, never another customer’s; everyone gets products; an admin gets every order', async () => {
  const henry = await watch('henry');
  const ida = await watch('ida');
  const admin = await watch('root', 'admin');

  await upsertProduct('LIVE-1', 10);
  const henrysOrder = await insertOrder(api.knex, { customerId: 'henry', position: nextPosition() });
  const idasOrder = await insertOrder(api.knex, { customerId: 'ida', position: nextPosition() });
  const now = new Date();
  await api.knex('checkout_progress').insert({
    order_id: henrysOrder,
    status: 'in_progress',
    current_step: 'StockReservationStarted',
    steps: JSON.stringify([{ type: 'CheckoutStarted', at: now.toISOString(), revision: 0, data: {} }]),
    started_at: now,
    updated_at: now,
    revision: 0,
    last_position: String(nextPosition()),
  });
  await moveCheckpoints('products', 'orders', 'checkout_progress');

  for (const watcher of [henry, ida, admin])
    await watcher.until(() => watcher.products.some((product) => product.sku === 'LIVE-1'), 'product LIVE-1');
  await henry.until(
    () => byId(henry.orders, henrysOrder).length > 0 && byId(henry.checkouts, henrysOrder).length > 0,
    "henry's order and checkout",
  );
  await ida.until(() => byId(ida.orders, idasOrder).length > 0, "ida's order");
  await admin.until(
    () =>
      byId(admin.orders, henrysOrder).length > 0 &&
      byId(admin.orders, idasOrder).length > 0 &&
      byId(admin.checkouts, henrysOrder).length > 0,
    'both orders and the checkout',
  );

  // Exactly what the GET routes answer.
  const henrysToken = await api.token('henry');
  assert.equal(
    henry.products.find((product) => product.sku === 'LIVE-1'),
    (await api.get('/products/LIVE-1', { token: henrysToken })).body,
  );
  assert.equal(byId(henry.orders, henrysOrder), [(await api.get(`/orders/${henrysOrder}`, { token: henrysToken })).body]);
  assert.equal(byId(henry.checkouts, henrysOrder), [(await api.get(`/checkouts/${henrysOrder}`, { token: henrysToken })).body]);
  assert.equal(byId(ida.orders, idasOrder), [(await api.get(`/orders/${idasOrder}`, { token: await api.token('ida') })).body]);

  // A change of ida's order, then one of a product after it: once henry has the product change,
  // anything of ida's sent to him would have arrived before it.
  await api
    .knex('orders')
    .where({ order_id: idasOrder })
    .update({ status: 'confirmed', last_position: String(nextPosition()) });
  await moveCheckpoints('orders');
  await admin.until(() => byId(admin.orders, idasOrder).some((order) => order.status === 'confirmed'), "ida's order confirmed");
  await ida.until(() => byId(ida.orders, idasOrder).some((order) => order.status === 'confirmed'), "ida's order confirmed");
  await upsertProduct('LIVE-1', 9);
  await moveCheckpoints('products');
  await henry.until(() => henry.products.some((product) => (product.stock as { onHand: number }).onHand === 9), 'the product change');

  assert.equal(
    henry.orders.map((order) => order.orderId),
    [henrysOrder],
    'henry got no order of ida',
  );
  assert.equal(
    henry.checkouts.map((checkout) => checkout.orderId),
    [henrysOrder],
  );
  assert.equal(
    ida.orders.map((order) => order.orderId),
    [idasOrder, idasOrder],
  );
  assert.equal(ida.checkouts, [], "ida got no checkout of henry's");
});

test('more changed rows than one query reads: all of them arrive, each once, in log order', async () => {
  const viewer = await watch('viewer');
  const skus = ['BURST-1', 'BURST-2', 'BURST-3', 'BURST-4', 'BURST-5'];
  for (const sku of skus) await upsertProduct(sku, 5);
  await moveCheckpoints('products');
  await viewer.until(() => skus.every((sku) => viewer.products.some((product) => product.sku === sku)), 'all five products');
  // A marker after them: nothing of the burst comes twice.
  await upsertProduct('BURST-MARK', 1);
  await moveCheckpoints('products');
  await viewer.until(() => viewer.products.some((product) => product.sku === 'BURST-MARK'), 'the marker');
  assert.equal(
    viewer.products.map((product) => product.sku),
    [...skus, 'BURST-MARK'],
  );
});

test('the metrics count what was emitted', async () => {
  const metrics = await (await fetch(`${api.baseUrl}/metrics`)).text();
  assert.match(metrics, /read_model_changes_emitted_total\{kind="product"[^}]*\} [1-9]/);
  assert.match(metrics, /read_model_changes_emitted_total\{kind="order"[^}]*\} [1-9]/);
});

test.run();
