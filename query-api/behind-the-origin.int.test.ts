/**
 * The query API behind the console's origin (web/origin) and on its own: who the client is.
 *
 * - Failed-auth limits count the browser's address, not the origin's: the origin forwards it in
 *   X-Forwarded-For, which the API believes only from a proxy in its TRUST_PROXY (here loopback);
 *   an untrusted sender's X-Forwarded-For, and whatever a client wrote into it at the origin, is
 *   ignored. The socket.io handshake limit counts by the same address.
 * - socket.io's origin check: a handshake whose Origin is neither in CORS_ORIGINS nor the host
 *   asked for is refused, websocket-only included (CORS never applies to an upgrade); without
 *   Origin it goes on; through the origin, the console's own page (Origin = the origin) connects,
 *   because the origin forwards the Host the browser asked for as X-Forwarded-Host.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HttpServer } from '../platform/http';
import { listenOnEphemeralPort } from '../platform/testing/ports';
import { createLogger } from '../platform/logger';
import { buildWebOrigin } from '../web/origin/app';
import { startQueryApi, type RunningQueryApi } from './testing/fixture';

const ALLOWED = 'http://allowed.example:8099';
const REFUSED = 'http://evil.example:8099';
const logger = createLogger({ service: 'behind-the-origin-test', level: 'silent' });
const distDir = mkdtempSync(join(tmpdir(), 'behind-origin-dist-'));
writeFileSync(join(distDir, 'index.html'), '<!doctype html><title>console</title>');

let trusting: RunningQueryApi;
let untrusting: RunningQueryApi;
let origin: HttpServer;
let originUrl: string;
let untrustingOrigin: HttpServer;
let untrustingOriginUrl: string;
let token: string;

test.before(async () => {
  const settings = { authFailuresPerMinute: 2, corsOrigins: [ALLOWED] };
  trusting = await startQueryApi({ settings: { ...settings, trustProxy: ['loopback'] } });
  untrusting = await startQueryApi({ settings });
  origin = await buildWebOrigin({ commandApiUrl: trusting.baseUrl, queryApiUrl: trusting.baseUrl, distDir, logger });
  originUrl = await listenOnEphemeralPort(origin);
  untrustingOrigin = await buildWebOrigin({ commandApiUrl: untrusting.baseUrl, queryApiUrl: untrusting.baseUrl, distDir, logger });
  untrustingOriginUrl = await listenOnEphemeralPort(untrustingOrigin);
  token = await trusting.token('alice');
});

test.after(async () => {
  await origin?.close();
  await untrustingOrigin?.close();
  await trusting?.close();
  await untrusting?.close();
  rmSync(distDir, { recursive: true, force: true });
});

type Outcome = { connected: true } | { connected: false; message: string; reason: string | undefined };

/** One socket.io connection attempt, as a browser on `pageOrigin` would make it (no Origin: not a browser). */
function connect(
  url: string,
  options: { token: string; pageOrigin?: string; forwardedFor?: string; transports?: string[] },
): Promise<Outcome> {
  const headers: Record<string, string> = {};
  if (options.pageOrigin) headers.origin = options.pageOrigin;
  if (options.forwardedFor) headers['x-forwarded-for'] = options.forwardedFor;
  const socket = io(url, {
    transports: options.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { token: options.token },
    extraHeaders: headers,
  });
  return new Promise((resolve) => {
    // Through the origin a refused websocket is a connection the proxy accepted and then closes
    // (it upgrades the browser's side before asking the API): socket.io-client would report that
    // only at its 20 s timeout, so a transport closed before engine.io's handshake is the refusal.
    let opened = false;
    socket.io.engine.once('open', () => (opened = true));
    socket.io.engine.once('close', (reason: string) => {
      if (opened) return;
      socket.disconnect();
      resolve({ connected: false, message: reason, reason: undefined });
    });
    socket.once('connect', () => {
      socket.disconnect();
      resolve({ connected: true });
    });
    socket.once('connect_error', (error: Error & { data?: { reason?: string } }) => {
      socket.disconnect();
      resolve({ connected: false, message: error.message, reason: error.data?.reason });
    });
  });
}

// ---- the origin check --------------------------------------------------------------------

test('websocket-only: a refused Origin is refused although the token is valid; an allowed one, none, or the API itself connect', async () => {
  const refused = await connect(trusting.baseUrl, { token, pageOrigin: REFUSED });
  assert.is(refused.connected, false);
  // Refused before the handshake (no reason from the token check): the upgrade itself failed.
  assert.is((refused as { reason?: string }).reason, undefined);
  assert.equal(await connect(trusting.baseUrl, { token, pageOrigin: ALLOWED }), { connected: true });
  assert.equal(await connect(trusting.baseUrl, { token }), { connected: true });
  assert.equal(await connect(trusting.baseUrl, { token, pageOrigin: trusting.baseUrl }), { connected: true });
  assert.equal(await connect(trusting.baseUrl, { token, pageOrigin: 'null' }).then(({ connected }) => connected), false);
});

test('long polling: the same check on the handshake', async () => {
  const refused = await connect(trusting.baseUrl, { token, pageOrigin: REFUSED, transports: ['polling'] });
  assert.is(refused.connected, false);
  assert.equal(await connect(trusting.baseUrl, { token, pageOrigin: ALLOWED, transports: ['polling'] }), { connected: true });
  const answer = await fetch(`${trusting.baseUrl}/socket.io/?EIO=4&transport=polling`, { headers: { origin: REFUSED } });
  assert.is(answer.status, 403);
});

test('through the origin: the console (Origin = the origin) connects, other pages do not', async () => {
  for (const transports of [['websocket'], ['polling']]) {
    assert.equal(await connect(originUrl, { token, pageOrigin: originUrl, transports }), { connected: true }, transports.join());
    assert.is((await connect(originUrl, { token, pageOrigin: REFUSED, transports })).connected, false, transports.join());
    // The API's own host is not the page's: the origin forwarded the host the browser asked for.
    assert.is((await connect(originUrl, { token, pageOrigin: trusting.baseUrl, transports })).connected, false, transports.join());
  }
  assert.equal(await connect(originUrl, { token, pageOrigin: ALLOWED }), { connected: true });
});

test("an API that does not trust the origin ignores its X-Forwarded-Host: the console's Origin is not its host", async () => {
  assert.is((await connect(untrustingOriginUrl, { token, pageOrigin: untrustingOriginUrl })).connected, false);
  assert.equal(await connect(untrustingOriginUrl, { token }), { connected: true });
});

// ---- failed-auth limits per client address ---------------------------------------------------

const badToken = 'not.a.token';

async function viaOrigin(remoteAddress: string, headers: Record<string, string> = {}): Promise<number> {
  const answer = await origin.inject({
    method: 'GET',
    url: '/api/queries/orders',
    remoteAddress,
    headers: { authorization: `Bearer ${badToken}`, ...headers },
  });
  return answer.statusCode;
}

test('through the origin, two browsers are limited apart; a browser cannot pose as another with X-Forwarded-For', async () => {
  assert.equal([await viaOrigin('10.0.0.1'), await viaOrigin('10.0.0.1'), await viaOrigin('10.0.0.1')], [401, 401, 429]);
  assert.is(await viaOrigin('10.0.0.2'), 401);
  // The origin trusts no proxy: what the client wrote is dropped, it stays 10.0.0.1 ...
  assert.is(await viaOrigin('10.0.0.1', { 'x-forwarded-for': '10.0.0.77' }), 429);
  // ... and cannot spend 10.0.0.3's allowance either.
  assert.is(await viaOrigin('10.0.0.4', { 'x-forwarded-for': '10.0.0.3' }), 401);
  assert.is(await viaOrigin('10.0.0.3'), 401);
  // A valid token from a limited address still gets through.
  const ok = await origin.inject({
    method: 'GET',
    url: '/api/queries/orders',
    remoteAddress: '10.0.0.1',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.is(ok.statusCode, 200);
});

test("an untrusted sender's X-Forwarded-For is ignored: every attempt counts against its own address", async () => {
  const statuses: number[] = [];
  for (const forwardedFor of ['10.1.0.1', '10.1.0.2', '10.1.0.3']) {
    const answer = await fetch(`${untrusting.baseUrl}/orders`, {
      headers: { authorization: `Bearer ${badToken}`, 'x-forwarded-for': forwardedFor },
    });
    statuses.push(answer.status);
  }
  assert.equal(statuses, [401, 401, 429]);
});

test('socket.io handshakes: limited per forwarded address from a trusted proxy, per peer from anyone else', async () => {
  const attempt = (url: string, forwardedFor: string) =>
    connect(url, { token: badToken, forwardedFor }).then((outcome) => (outcome.connected ? 'connected' : outcome.reason));
  assert.equal(
    [await attempt(trusting.baseUrl, '10.2.0.1'), await attempt(trusting.baseUrl, '10.2.0.1'), await attempt(trusting.baseUrl, '10.2.0.1')],
    ['invalid_token', 'invalid_token', 'too_many_failures'],
  );
  assert.is(await attempt(trusting.baseUrl, '10.2.0.2'), 'invalid_token');
  assert.equal(
    [
      await attempt(untrusting.baseUrl, '10.3.0.1'),
      await attempt(untrusting.baseUrl, '10.3.0.2'),
      await attempt(untrusting.baseUrl, '10.3.0.3'),
    ],
    ['invalid_token', 'invalid_token', 'too_many_failures'],
  );
});

test.run();
