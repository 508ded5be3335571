import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { storedEvents, storedRevisionAndPosition, startCommandApi, type CommandApiFixture } from '../testing/fixture';

let api: CommandApiFixture;
let admin: string;
let customer: string;

test.before(async () => {
  api = await startCommandApi();
  admin = await api.token('ada', 'admin');
  customer = await api.token('carla', 'customer');
});
test.after(async () => {
  await api.close();
});

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const register = (sku: string, price = eur(1299), name = 'Blue mug') =>
  api.call('POST', '/products', { token: admin, body: { sku, name, price } });

test('POST /products registers a SKU: 201 with the revision and log position it wrote', async () => {
  const answer = await api.call('POST', '/products', {
    token: admin,
    body: { sku: 'MUG-1', name: '  Blue mug ', price: eur(1299) },
    headers: { 'x-correlation-id': 'register-mug-1' },
  });
  assert.is(answer.status, 201);
  assert.equal(answer.body, { sku: 'MUG-1', ...(await storedRevisionAndPosition(api.client, 'inventory-MUG-1')) });
  assert.is(answer.body.revision, '0');
  assert.equal(await storedEvents(api.client, 'inventory-MUG-1'), [
    {
      type: 'ProductRegistered',
      data: { sku: 'MUG-1', name: 'Blue mug', price: { amount: 1299, currency: 'EUR' } },
      metadata: { correlationId: 'register-mug-1', causationId: 'register-mug-1', actor: 'ada', schemaVersion: 1 },
    },
  ]);
});

test('registering a SKU twice → 422 already-registered, nothing written', async () => {
  await register('MUG-2');
  const again = await register('MUG-2', eur(1));
  assert.is(again.status, 422);
  assert.is(again.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal(
    { type: again.body.type, status: again.body.status, code: again.body.code, detail: again.body.detail, instance: again.body.instance },
    {
      type: 'urn:checkout:problem:already-registered',
      status: 422,
      code: 'already_registered',
      detail: 'SKU MUG-2 is already registered',
      instance: '/products',
    },
  );
  assert.is((await storedEvents(api.client, 'inventory-MUG-2')).length, 1);
});

test('an invalid body → 400 listing every invalid field by path; nothing written', async () => {
  const answer = await api.call('POST', '/products', {
    token: admin,
    body: { sku: 'bad sku!', name: '', price: { amount: 12.5, currency: 'euro' }, colour: 'blue' },
  });
  assert.is(answer.status, 400);
  assert.is(answer.body.type, 'urn:checkout:problem:validation');
  const errors = answer.body.errors as { in: string; path: string }[];
  assert.equal(errors.map((error) => `${error.in} ${error.path}`).sort(), [
    'body /',
    'body /name',
    'body /price/amount',
    'body /price/currency',
    'body /sku',
  ]);
  assert.equal(await storedEvents(api.client, 'inventory-bad sku!'), []);
});

test('a name with a control character → 400 naming it; nothing written', async () => {
  const answer = await api.call('POST', '/products', { token: admin, body: { sku: 'NUL-1', name: 'Mug\u0000', price: eur(100) } });
  assert.is(answer.status, 400);
  assert.equal(answer.body.errors, [{ in: 'body', path: '/name', message: 'name must not contain control characters' }]);
  assert.equal(await storedEvents(api.client, 'inventory-NUL-1'), []);
});

test('auth: no token → 401 with WWW-Authenticate, a customer → 403, a bad token → 401', async () => {
  const anonymous = await api.call('POST', '/products', { body: { sku: 'X-1', name: 'x', price: eur(1) } });
  assert.is(anonymous.status, 401);
  assert.is(anonymous.headers.get('www-authenticate'), 'Bearer');
  assert.equal([anonymous.body.type, anonymous.body.reason], ['urn:checkout:problem:unauthorized', 'missing_token']);

  const asCustomer = await api.call('POST', '/products', { token: customer, body: { sku: 'X-1', name: 'x', price: eur(1) } });
  assert.is(asCustomer.status, 403);
  assert.is(asCustomer.body.type, 'urn:checkout:problem:forbidden');

  const forged = await api.call('POST', '/products', {
    token: `${admin.slice(0, -4)}AAAA`,
    body: { sku: 'X-1', name: 'x', price: eur(1) },
  });
  assert.is(forged.status, 401);
  assert.is(forged.body.reason, 'invalid_token');

  // Auth is checked before the body: an anonymous caller learns nothing from validation.
  const anonymousInvalid = await api.call('POST', '/products', { body: { nonsense: true } });
  assert.is(anonymousInvalid.status, 401);
  assert.equal(await storedEvents(api.client, 'inventory-X-1'), []);
});

test('PUT /products/:sku/price → 200 and ProductPriceChanged with the previous price', async () => {
  await register('LAMP-1', eur(4000));
  const answer = await api.call('PUT', '/products/LAMP-1/price', { token: admin, body: { price: eur(3500) } });
  assert.is(answer.status, 200);
  assert.equal(answer.body, { sku: 'LAMP-1', ...(await storedRevisionAndPosition(api.client, 'inventory-LAMP-1')) });
  assert.is(answer.body.revision, '1');
  const events = await storedEvents(api.client, 'inventory-LAMP-1');
  assert.equal(events[1]?.type, 'ProductPriceChanged');
  assert.equal(events[1]?.data, { sku: 'LAMP-1', price: eur(3500), previousPrice: eur(4000) });
});

test('setting the price it already has → 200 with a null position, nothing written', async () => {
  await register('LAMP-2', eur(4000));
  const answer = await api.call('PUT', '/products/LAMP-2/price', { token: admin, body: { price: eur(4000) } });
  assert.is(answer.status, 200);
  assert.equal(answer.body, { sku: 'LAMP-2', revision: '0', position: null });
  assert.is((await storedEvents(api.client, 'inventory-LAMP-2')).length, 1);
});

test('a price in another currency → 422 currency-mismatch', async () => {
  await register('LAMP-3', eur(4000));
  const answer = await api.call('PUT', '/products/LAMP-3/price', { token: admin, body: { price: { amount: 4000, currency: 'USD' } } });
  assert.is(answer.status, 422);
  assert.equal([answer.body.type, answer.body.code], ['urn:checkout:problem:currency-mismatch', 'currency_mismatch']);
});

test('an unknown SKU → 404 unknown-sku, for the price and for stock', async () => {
  const price = await api.call('PUT', '/products/NOPE-1/price', { token: admin, body: { price: eur(1) } });
  assert.is(price.status, 404);
  assert.equal(
    { type: price.body.type, code: price.body.code, skus: price.body.skus, detail: price.body.detail },
    {
      type: 'urn:checkout:problem:unknown-sku',
      code: 'not_registered',
      skus: ['NOPE-1'],
      detail: 'No product is registered under SKU NOPE-1',
    },
  );
  const stock = await api.call('POST', '/products/NOPE-1/stock', { token: admin, body: { quantity: 3 } });
  assert.is(stock.status, 404);
  assert.is(stock.body.type, 'urn:checkout:problem:unknown-sku');
  assert.equal(await storedEvents(api.client, 'inventory-NOPE-1'), []);
});

test('POST /products/:sku/stock → 200 and StockReceived', async () => {
  await register('PEN-1', eur(150));
  const answer = await api.call('POST', '/products/PEN-1/stock', { token: admin, body: { quantity: 25 } });
  assert.is(answer.status, 200);
  assert.equal(answer.body, { sku: 'PEN-1', ...(await storedRevisionAndPosition(api.client, 'inventory-PEN-1')) });
  assert.equal(
    (await storedEvents(api.client, 'inventory-PEN-1')).map(({ type, data }) => ({ type, data })),
    [
      { type: 'ProductRegistered', data: { sku: 'PEN-1', name: 'Blue mug', price: eur(150) } },
      { type: 'StockReceived', data: { sku: 'PEN-1', quantity: 25 } },
    ],
  );
});

test('invalid params and quantities → 400 with their paths', async () => {
  const badSku = await api.call('POST', '/products/a%20b/stock', { token: admin, body: { quantity: 1 } });
  assert.is(badSku.status, 400);
  assert.equal(
    (badSku.body.errors as { in: string; path: string }[]).map((e) => [e.in, e.path]),
    [['params', '/sku']],
  );
  const badQuantity = await api.call('POST', '/products/PEN-1/stock', { token: admin, body: { quantity: 0 } });
  assert.is(badQuantity.status, 400);
  assert.equal(
    (badQuantity.body.errors as { in: string; path: string }[]).map((e) => [e.in, e.path]),
    [['body', '/quantity']],
  );
});

test('100 concurrent stock receipts on one SKU: every one answered 200, on hand is the exact sum', async () => {
  await register('HOT-1', eur(999));
  const quantities = Array.from({ length: 100 }, (_, i) => 1 + (i % 7));
  const answers = await Promise.all(
    quantities.map((quantity) => api.call('POST', '/products/HOT-1/stock', { token: admin, body: { quantity } })),
  );
  assert.equal(
    answers.map((answer) => answer.status),
    quantities.map(() => 200),
  );
  const events = await storedEvents(api.client, 'inventory-HOT-1');
  const received = events.filter((event) => event.type === 'StockReceived').map((event) => (event.data as { quantity: number }).quantity);
  assert.is(received.length, 100);
  assert.is(
    received.reduce((sum, quantity) => sum + quantity, 0),
    quantities.reduce((sum, quantity) => sum + quantity, 0),
  );
  // Each answer names a distinct revision: no two requests claim the same write.
  assert.is(new Set(answers.map((answer) => answer.body.revision)).size, 100);
  assert.equal(
    [...new Set(answers.map((answer) => answer.body.revision))].map(Number).sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
});

test.run();
