/**
 * CORS over real HTTP: an origin on CORS_ORIGINS gets its preflight answered and can read the
 * answers; any other origin gets no Access-Control-* header at all; without CORS_ORIGINS nobody does.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startCommandApi, type CommandApiFixture } from './testing/fixture';

const ALLOWED = 'http://127.0.0.1:8099';
const OTHER = 'http://127.0.0.1:8098';

let api: CommandApiFixture;
let closed: CommandApiFixture;

test.before(async () => {
  api = await startCommandApi({ settings: { corsOrigins: [ALLOWED, 'https://shop.example'] } });
  closed = await startCommandApi({ emulator: api.emulator, client: api.emulator.newClient() });
});
test.after(async () => {
  await closed.close();
  await api.close();
});

const preflight = (baseUrl: string, origin: string, path = '/orders', method = 'POST') =>
  fetch(`${baseUrl}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization, content-type, idempotency-key',
    },
  });

const accessControlHeaders = (headers: Headers) => [...headers.keys()].filter((name) => name.startsWith('access-control-'));

test('an allowed origin: the preflight allows the method and the headers the console sends', async () => {
  const answer = await preflight(api.baseUrl, ALLOWED);
  assert.is(answer.status, 204);
  assert.is(answer.headers.get('access-control-allow-origin'), ALLOWED);
  assert.is(answer.headers.get('access-control-allow-methods'), 'GET, HEAD, POST, PUT, PATCH, DELETE');
  assert.is(
    answer.headers.get('access-control-allow-headers'),
    'authorization, content-type, idempotency-key, x-min-position, x-correlation-id',
  );
  assert.is(answer.headers.get('access-control-allow-credentials'), null, 'bearer tokens, no cookies: no credentials');
  assert.match(answer.headers.get('vary') ?? '', /origin/i);
  assert.ok(Number(answer.headers.get('access-control-max-age')) > 0);
});

test('an allowed origin: the actual request, a success or a problem, carries the headers', async () => {
  const admin = await api.token('ada', 'admin');
  const created = await fetch(`${api.baseUrl}/products`, {
    method: 'POST',
    headers: { origin: ALLOWED, authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sku: 'CORS-1', name: 'Cors mug', price: { amount: 100, currency: 'EUR' } }),
  });
  assert.is(created.status, 201);
  assert.is(created.headers.get('access-control-allow-origin'), ALLOWED);
  assert.is(created.headers.get('access-control-expose-headers'), 'x-correlation-id, retry-after, idempotent-replayed');
  assert.ok(created.headers.get('x-correlation-id'));

  const refused = await fetch(`${api.baseUrl}/orders`, {
    method: 'POST',
    headers: { origin: 'https://shop.example', 'content-type': 'application/json' },
    body: '{}',
  });
  assert.is(refused.status, 401);
  assert.is(refused.headers.get('access-control-allow-origin'), 'https://shop.example', 'a browser can read why it was refused');
});

test('another origin: no Access-Control-* header on the preflight or the request', async () => {
  const answer = await preflight(api.baseUrl, OTHER);
  assert.is(answer.status, 404);
  assert.equal(accessControlHeaders(answer.headers), []);
  assert.match(answer.headers.get('content-type') ?? '', 'application/problem+json');

  const read = await fetch(`${api.baseUrl}/health`, { headers: { origin: OTHER } });
  assert.is(read.status, 200);
  assert.equal(accessControlHeaders(read.headers), []);
  // Origins are compared exactly: a prefix or another scheme is another origin.
  assert.equal(accessControlHeaders((await preflight(api.baseUrl, `${ALLOWED}0`)).headers), []);
  assert.equal(accessControlHeaders((await preflight(api.baseUrl, 'https://127.0.0.1:8099')).headers), []);
});

test('without CORS_ORIGINS no origin gets cross-origin access', async () => {
  const answer = await preflight(closed.baseUrl, ALLOWED);
  assert.is(answer.status, 404);
  assert.equal(accessControlHeaders(answer.headers), []);
  const read = await fetch(`${closed.baseUrl}/health`, { headers: { origin: ALLOWED } });
  assert.equal(accessControlHeaders(read.headers), []);
});

test.run();
