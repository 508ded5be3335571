/**
 * CORS_ORIGINS on the query API over real HTTP: the routes (through the shared HTTP base) and
 * socket.io's polling handshake answer an allowed origin with Access-Control-Allow-Origin, and
 * any other origin without it. (Chromium enforcing it: test/browser/cors.e2e.test.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startQueryApi, type RunningQueryApi } from './testing/fixture';

const ALLOWED = 'http://127.0.0.1:8099';
const OTHER = 'http://127.0.0.1:8098';

let api: RunningQueryApi;
let closed: RunningQueryApi;

test.before(async () => {
  api = await startQueryApi({ settings: { corsOrigins: [ALLOWED] } });
  closed = await startQueryApi();
});
test.after(async () => {
  await Promise.all([api.close(), closed.close()]);
});

const accessControlHeaders = (headers: Headers) => [...headers.keys()].filter((name) => name.startsWith('access-control-'));

const preflight = (baseUrl: string, origin: string) =>
  fetch(`${baseUrl}/orders`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization, x-min-position' },
  });

/** The first request of socket.io-client's default transport: engine.io's polling handshake. */
const pollingHandshake = (baseUrl: string, origin: string) =>
  fetch(`${baseUrl}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });

test('an allowed origin: preflight and request carry the headers', async () => {
  const answer = await preflight(api.baseUrl, ALLOWED);
  assert.is(answer.status, 204);
  assert.is(answer.headers.get('access-control-allow-origin'), ALLOWED);
  assert.match(answer.headers.get('access-control-allow-headers') ?? '', 'x-min-position');
  assert.match(answer.headers.get('access-control-allow-headers') ?? '', 'authorization');

  const token = await api.token('alice');
  const read = await fetch(`${api.baseUrl}/orders`, { headers: { origin: ALLOWED, authorization: `Bearer ${token}` } });
  assert.is(read.status, 200);
  assert.is(read.headers.get('access-control-allow-origin'), ALLOWED);
  assert.is(read.headers.get('access-control-expose-headers'), 'x-correlation-id, retry-after, idempotent-replayed');
  assert.is(read.headers.get('access-control-allow-credentials'), null);
});

test('another origin: nothing that lets a browser read the answer', async () => {
  const answer = await preflight(api.baseUrl, OTHER);
  assert.is(answer.status, 404);
  assert.equal(accessControlHeaders(answer.headers), []);
  const token = await api.token('alice');
  const read = await fetch(`${api.baseUrl}/orders`, { headers: { origin: OTHER, authorization: `Bearer ${token}` } });
  assert.equal(accessControlHeaders(read.headers), []);
});

test('socket.io: the polling handshake from an allowed origin gets Access-Control-Allow-Origin, another origin does not', async () => {
  const allowed = await pollingHandshake(api.baseUrl, ALLOWED);
  assert.is(allowed.status, 200);
  assert.is(allowed.headers.get('access-control-allow-origin'), ALLOWED);
  assert.is(allowed.headers.get('access-control-allow-credentials'), null);
  assert.match(await allowed.text(), /"sid"/, 'an engine.io open packet');

  const other = await pollingHandshake(api.baseUrl, OTHER);
  await other.text();
  assert.is(other.headers.get('access-control-allow-origin'), null);

  const notConfigured = await pollingHandshake(closed.baseUrl, ALLOWED);
  await notConfigured.text();
  assert.is(notConfigured.headers.get('access-control-allow-origin'), null);
});

test('without CORS_ORIGINS the routes give no origin cross-origin access', async () => {
  const answer = await preflight(closed.baseUrl, ALLOWED);
  assert.is(answer.status, 404);
  assert.equal(accessControlHeaders(answer.headers), []);
});

test.run();
