/**
 * The console's origin on its own, in front of two small upstreams standing in for the APIs (so
 * what reaches them can be read back exactly): an HTTP server that echoes each request, and one
 * with a real socket.io server on it. The console is a fixture built here (an index.html and a
 * hashed script), and real Chromium loads it to show the page's security policy lets the console
 * do what it must (its script, fetch to the APIs, socket.io's websocket) and nothing inline.
 * test/launcher.e2e.test.ts runs the origin in front of the real APIs.
 */
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server as SocketServer } from 'socket.io';
import { io } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HttpServer } from '../../platform/http';
import { createLogger } from '../../platform/logger';
import { launchBrowser, watchPage, type Browser } from '../../test/testing/browser';
import { buildWebOrigin, type DevSignIn } from './app';
import { contentSecurityPolicy } from './console-files';
import { UNREACHABLE_PROBLEM_TYPE } from './proxy';

// ---- the console fixture ---------------------------------------------------------------------

const distDir = mkdtempSync(join(tmpdir(), 'origin-dist-'));
mkdirSync(join(distDir, 'assets'));
writeFileSync(
  join(distDir, 'index.html'),
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>console</title><link rel="icon" href="data:,"><script type="module" src="/assets/console-Ab12Cd34.js"></script></head><body></body></html>',
);
// What the console does on load: a call to an API and a socket.io websocket, both through the origin.
writeFileSync(
  join(distDir, 'assets', 'console-Ab12Cd34.js'),
  `const answer = await fetch('/api/queries/echo?from=page').then((response) => response.json());
const socket = new WebSocket(\`ws://\${location.host}/socket.io/?EIO=4&transport=websocket\`);
const opened = await new Promise((resolve) => { socket.onmessage = (event) => resolve(String(event.data)); socket.onerror = () => resolve('error'); });
socket.close();
document.body.dataset.state = JSON.stringify({ path: answer.url, socket: opened.slice(0, 1) });
`,
);
// The negative control: an inline script must not run.
writeFileSync(
  join(distDir, 'inline.html'),
  '<!doctype html><html lang="en"><head><title>inline</title><link rel="icon" href="data:,"></head><body><script>document.body.dataset.ran = "yes"</script></body></html>',
);
writeFileSync(join(distDir, '.sources-hash'), 'not for browsers\n');

// ---- the upstreams -------------------------------------------------------------------------

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function listening(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Echoes every request as JSON; `/conflict` answers a problem, `/busy` a 503, as an API would. */
function echoingUpstream(name: string) {
  const seen: Seen[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const entry = { method: request.method!, url: request.url!, headers: request.headers, body };
      seen.push(entry);
      const path = request.url!.split('?')[0];
      if (path === '/health') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      if (path === '/conflict') {
        return void response
          .writeHead(409, {
            'content-type': 'application/problem+json; charset=utf-8',
            'x-correlation-id': String(request.headers['x-correlation-id']),
          })
          .end(JSON.stringify({ type: 'urn:checkout:problem:conflict', title: 'Conflict', status: 409, detail: `${name} says no` }));
      }
      if (path === '/busy')
        return void response.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '0' }).end('{"status":503}');
      response.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name }).end(JSON.stringify({ ...entry, upstream: name }));
    });
  });
  return { server, seen };
}

const command = echoingUpstream('command');
const query = echoingUpstream('query');
// The query API's socket.io: a token in the handshake's auth, then one notification.
const sockets = new SocketServer(query.server, { serveClient: false });
sockets.use((socket, next) => (socket.handshake.auth.token === 'good-token' ? next() : next(new Error('unauthorized'))));
sockets.on('connection', (socket) => socket.emit('notification', { id: 'n-1', transport: socket.conn.transport.name }));

const logger = createLogger({ service: 'web', level: 'silent' });
const minted: { sub: string; role: string }[] = [];
const devSignIn: DevSignIn = {
  async mint(sub, role) {
    minted.push({ sub, role });
    return { token: `token-for-${sub}`, expiresAt: '2030-01-01T00:00:00.000Z' };
  },
};

let commandUrl: string;
let queryUrl: string;
let origin: HttpServer;
let originUrl: string;
let browser: Browser | undefined;

test.before(async () => {
  commandUrl = await listening(command.server);
  queryUrl = await listening(query.server);
  origin = await buildWebOrigin({ commandApiUrl: commandUrl, queryApiUrl: queryUrl, distDir, devSignIn, logger });
  await origin.listen({ port: 0, host: '127.0.0.1' });
  originUrl = `http://127.0.0.1:${(origin.server.address() as AddressInfo).port}`;
});

test.after(async () => {
  await browser?.close();
  await origin.close();
  // The callback waits for the HTTP server to close too; the promise only for socket.io's part.
  await new Promise((resolve, reject) => {
    sockets.close(resolve).catch(reject);
  });
  command.server.close();
  rmSync(distDir, { recursive: true, force: true });
});

// ---- the console's files ----------------------------------------------------------------------

test('index.html at /, revalidated on every load, with the page policy and the security headers', async () => {
  const response = await fetch(`${originUrl}/`);
  assert.is(response.status, 200);
  assert.match(response.headers.get('content-type')!, /^text\/html/);
  assert.match(await response.text(), /console-Ab12Cd34\.js/);
  assert.is(response.headers.get('cache-control'), 'no-cache');
  assert.ok(response.headers.get('etag'), 'an ETag to revalidate against');
  const policy = response.headers.get('content-security-policy')!;
  assert.match(policy, /(^|; )script-src 'self'(;|$)/);
  assert.match(policy, /(^|; )default-src 'self'(;|$)/);
  const host = new URL(originUrl).host;
  assert.match(policy, new RegExp(`(^|; )connect-src 'self' ws://${host} wss://${host}(;|$)`));
  assert.match(policy, /frame-ancestors 'none'/);
  assert.is(response.headers.get('x-content-type-options'), 'nosniff');
  assert.is(response.headers.get('referrer-policy'), 'no-referrer');
});

test('hashed assets are cached for a year; missing files and dot files are a problem+json 404', async () => {
  const asset = await fetch(`${originUrl}/assets/console-Ab12Cd34.js`);
  assert.is(asset.status, 200);
  assert.match(asset.headers.get('content-type')!, /javascript/);
  assert.is(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  for (const path of ['/assets/nothing.js', '/.sources-hash', '/nowhere']) {
    const missing = await fetch(`${originUrl}${path}`);
    assert.is(missing.status, 404, path);
    assert.match(missing.headers.get('content-type')!, /^application\/problem\+json/, path);
  }
});

test('a Host header that is not a plain host[:port] is not written into the policy', async () => {
  const response = await origin.inject({ method: 'GET', url: '/', headers: { host: 'evil.example; script-src *' } });
  assert.is(response.headers['content-security-policy'], contentSecurityPolicy(undefined));
  assert.match(contentSecurityPolicy(undefined), /(^|; )connect-src 'self';/);
});

// ---- the APIs behind it ---------------------------------------------------------------------------

test('/api/commands/* reaches the command API without the prefix: method, query, body and headers unchanged', async () => {
  command.seen.length = 0;
  const body = JSON.stringify({ lines: [{ sku: 'MUG', quantity: 2 }], paymentToken: 'tok_ok' });
  const response = await fetch(`${originUrl}/api/commands/orders?dryRun=no`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer abc.def.ghi',
      'idempotency-key': 'key-1',
      'x-min-position': '12/12',
      'x-correlation-id': 'corr-123',
      'content-type': 'application/json',
    },
    body,
  });
  assert.is(response.status, 200);
  assert.is(response.headers.get('x-upstream'), 'command');
  const [seen] = command.seen;
  assert.is(command.seen.length, 1);
  assert.is(seen!.method, 'POST');
  assert.is(seen!.url, '/orders?dryRun=no');
  assert.is(seen!.body, body);
  assert.is(seen!.headers.authorization, 'Bearer abc.def.ghi');
  assert.is(seen!.headers['idempotency-key'], 'key-1');
  assert.is(seen!.headers['x-min-position'], '12/12');
  assert.is(seen!.headers['x-correlation-id'], 'corr-123');
  assert.is(seen!.headers['content-type'], 'application/json');
  assert.is(response.headers.get('x-correlation-id'), 'corr-123');
});

test('/api/queries/* reaches the query API; a body that is not JSON passes as it is', async () => {
  query.seen.length = 0;
  const answer = (await (await fetch(`${originUrl}/api/queries/orders/o-1?after=3`)).json()) as { url: string; upstream: string };
  assert.equal({ url: answer.url, upstream: answer.upstream }, { url: '/orders/o-1?after=3', upstream: 'query' });
  // Not parsed on the way (the APIs judge their own input): broken JSON arrives byte for byte.
  const broken = '{"lines": [';
  await fetch(`${originUrl}/api/queries/raw`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: broken });
  assert.is(query.seen.at(-1)!.body, broken);
  // Just the prefix is the API's root.
  await fetch(`${originUrl}/api/queries`);
  assert.is(query.seen.at(-1)!.url, '/');
});

test("an API's problem+json and its 503 pass through unchanged, the 503 asked once (no retries)", async () => {
  const conflict = await fetch(`${originUrl}/api/commands/conflict`, { method: 'POST', headers: { 'x-correlation-id': 'corr-9' } });
  assert.is(conflict.status, 409);
  assert.is(conflict.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal(await conflict.json(), { type: 'urn:checkout:problem:conflict', title: 'Conflict', status: 409, detail: 'command says no' });
  assert.is(conflict.headers.get('x-correlation-id'), 'corr-9');

  query.seen.length = 0;
  const busy = await fetch(`${originUrl}/api/queries/busy`);
  assert.is(busy.status, 503);
  assert.equal(await busy.json(), { status: 503 });
  assert.is(query.seen.length, 1);
});

test('without an X-Correlation-Id the origin makes one, and the API sees the one the browser is told', async () => {
  const response = await fetch(`${originUrl}/api/queries/echo`);
  const id = response.headers.get('x-correlation-id');
  assert.ok(id);
  assert.is(((await response.json()) as Seen).headers['x-correlation-id'], id);
});

test('a path escaping the prefix is refused, not proxied', async () => {
  command.seen.length = 0;
  const response = await fetch(`${originUrl}/api/commands/%2e%2e/%2e%2e/secrets`);
  assert.ok(response.status === 400 || response.status === 404, String(response.status));
  assert.match(response.headers.get('content-type')!, /^application\/problem\+json/);
  assert.is(command.seen.length, 0);
});

// ---- socket.io --------------------------------------------------------------------------------

for (const transport of ['websocket', 'polling'] as const) {
  test(`socket.io over ${transport} through /socket.io: the handshake's token reaches the query API, a notification comes back`, async () => {
    const socket = io(originUrl, {
      path: '/socket.io',
      transports: [transport],
      auth: { token: 'good-token' },
      reconnection: false,
      forceNew: true,
    });
    try {
      const notification = await new Promise((resolve, reject) => {
        socket.once('notification', resolve);
        socket.once('connect_error', reject);
      });
      assert.equal(notification, { id: 'n-1', transport });
    } finally {
      socket.close();
    }
    const refused = io(originUrl, {
      path: '/socket.io',
      transports: [transport],
      auth: { token: 'bad' },
      reconnection: false,
      forceNew: true,
    });
    try {
      const error = await new Promise<Error>((resolve) => refused.once('connect_error', resolve));
      assert.is(error.message, 'unauthorized');
    } finally {
      refused.close();
    }
  });
}

test('closing the origin cuts the socket.io long polls in flight rather than waiting for them', async () => {
  const closing = await buildWebOrigin({ commandApiUrl: commandUrl, queryApiUrl: queryUrl, distDir, logger });
  let polling: () => void;
  const pollArrived = new Promise<void>((resolve) => (polling = resolve));
  closing.addHook('onRequest', async (request) => {
    if (request.url.includes('sid=')) polling();
  });
  await closing.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(closing.server.address() as AddressInfo).port}`;
  const opened = await (await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).text();
  const { sid, pingInterval } = JSON.parse(opened.slice(1)) as { sid: string; pingInterval: number };
  // Nothing to send until the next ping: the server holds this poll for pingInterval (25 s).
  const poll = fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`).then(
    (response) => response.text(),
    () => 'cut',
  );
  await pollArrived;
  const bound = new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), pingInterval - 5_000).unref());
  assert.is(await Promise.race([closing.close().then(() => 'closed'), bound]), 'closed');
  assert.is(await poll, 'cut');
});

test('a websocket upgrade anywhere but /socket.io is refused', async () => {
  const upgrade = request(`${originUrl}/api/queries/anything`, {
    headers: {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    },
  });
  upgrade.end();
  const [response] = (await Promise.race([once(upgrade, 'response'), once(upgrade, 'upgrade').then(() => [{ statusCode: 101 }])])) as [
    IncomingMessage,
  ];
  assert.is(response.statusCode, 404);
  upgrade.destroy();
});

// ---- console configuration and development sign-in -----------------------------------------------

test('with devSignIn: /console-config.json says so, and /dev/sign-in mints for a valid sub and role', async () => {
  const config = await fetch(`${originUrl}/console-config.json`);
  assert.equal(await config.json(), { devSignIn: true, oidc: null });
  const signedIn = await fetch(`${originUrl}/dev/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: 'alice.b-1@shop', role: 'admin' }),
  });
  assert.is(signedIn.status, 200);
  assert.equal(await signedIn.json(), { token: 'token-for-alice.b-1@shop', expiresAt: '2030-01-01T00:00:00.000Z' });
  assert.is(signedIn.headers.get('cache-control'), 'no-store');
  assert.equal(minted.at(-1), { sub: 'alice.b-1@shop', role: 'admin' });
});

test('/dev/sign-in answers only callers on this machine (HOST=0.0.0.0 must not hand out admin tokens)', async () => {
  const before = minted.length;
  const fromNetwork = await origin.inject({
    method: 'POST',
    url: '/dev/sign-in',
    remoteAddress: '192.0.2.7',
    payload: { sub: 'mallory', role: 'admin' },
  });
  assert.is(fromNetwork.statusCode, 403);
  assert.match(String(fromNetwork.headers['content-type']), /^application\/problem\+json/);
  assert.is(minted.length, before, 'no token minted');
  const mapped = await origin.inject({
    method: 'POST',
    url: '/dev/sign-in',
    remoteAddress: '::ffff:127.0.0.1',
    headers: { host: 'localhost:3000' },
    payload: { sub: 'alice', role: 'customer' },
  });
  assert.is(mapped.statusCode, 200);
  // A rebinding page: the request comes from this machine, but for another name.
  const rebound = await origin.inject({
    method: 'POST',
    url: '/dev/sign-in',
    headers: { host: 'evil.example:3000' },
    payload: { sub: 'mallory', role: 'admin' },
  });
  assert.is(rebound.statusCode, 403);
  assert.is(minted.length, before + 1, 'only the loopback request minted');
});

test('/dev/sign-in refuses a bad sub or role with a problem naming the field', async () => {
  const cases: [unknown, string][] = [
    [{ sub: 'two words', role: 'customer' }, '/sub'],
    [{ sub: '', role: 'customer' }, '/sub'],
    [{ sub: 'x'.repeat(65), role: 'customer' }, '/sub'],
    [{ sub: 'alice', role: 'root' }, '/role'],
    [{ role: 'customer' }, '/sub'],
  ];
  const before = minted.length;
  for (const [body, field] of cases) {
    const response = await fetch(`${originUrl}/dev/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.is(response.status, 400, JSON.stringify(body));
    assert.match(response.headers.get('content-type')!, /^application\/problem\+json/);
    const problem = (await response.json()) as { errors: { in: string; path: string }[] };
    assert.ok(
      problem.errors.some((error) => error.in === 'body' && error.path === field),
      `${JSON.stringify(body)}: ${JSON.stringify(problem.errors)}`,
    );
  }
  assert.is(minted.length, before, 'nothing minted for a bad request');
  const longest = await fetch(`${originUrl}/dev/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: 'x'.repeat(64), role: 'customer' }),
  });
  assert.is(longest.status, 200, '64 characters is still a valid sub');
});

test('without devSignIn: /console-config.json says false and /dev/sign-in does not exist (404 problem+json)', async () => {
  const plain = await buildWebOrigin({ commandApiUrl: commandUrl, queryApiUrl: queryUrl, distDir, logger });
  try {
    assert.equal((await plain.inject({ method: 'GET', url: '/console-config.json' })).json(), { devSignIn: false, oidc: null });
    const signIn = await plain.inject({ method: 'POST', url: '/dev/sign-in', payload: { sub: 'alice', role: 'admin' } });
    assert.is(signIn.statusCode, 404);
    assert.match(String(signIn.headers['content-type']), /^application\/problem\+json/);
  } finally {
    await plain.close();
  }
});

// ---- an API that is down -----------------------------------------------------------------------

test('an API that is down: 502 problem+json the console recognises, and /ready says which', async () => {
  const vacant = createServer();
  const vacantUrl = await listening(vacant);
  await new Promise((resolve) => vacant.close(resolve));
  const down = await buildWebOrigin({ commandApiUrl: commandUrl, queryApiUrl: vacantUrl, distDir, logger });
  try {
    const response = await down.inject({ method: 'GET', url: '/api/queries/orders' });
    assert.is(response.statusCode, 502);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    const problem = response.json() as { type: string; status: number; detail: string; correlationId: string };
    assert.is(problem.type, UNREACHABLE_PROBLEM_TYPE);
    assert.is(problem.status, 502);
    assert.is(problem.detail, 'The query API cannot be reached.');
    assert.is(problem.correlationId, response.headers['x-correlation-id']);
    const polling = await down.inject({ method: 'GET', url: '/socket.io/?EIO=4&transport=polling' });
    assert.is(polling.statusCode, 502);

    const ready = await down.inject({ method: 'GET', url: '/ready' });
    assert.is(ready.statusCode, 503);
    assert.equal((ready.json() as { checks: unknown }).checks, [
      { name: 'command-api', ready: true },
      { name: 'query-api', ready: false },
    ]);
    assert.is((await down.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  } finally {
    await down.close();
  }
});

// ---- the page in a browser -------------------------------------------------------------------

test('in Chromium, the policy lets the console run: its script, a call to an API, the socket.io websocket; no inline script', async () => {
  browser = await launchBrowser();
  const watched = watchPage(await browser.newPage());
  await watched.page.goto(`${originUrl}/`);
  await watched.page.waitForSelector('body[data-state]', { state: 'attached', timeout: 15_000 });
  const state = JSON.parse((await watched.page.getAttribute('body', 'data-state'))!) as { path: string; socket: string };
  // engine.io's first websocket frame is its "open" packet, `0{...}`.
  assert.equal(state, { path: '/echo?from=page', socket: '0' });
  watched.assertNoErrors('the console page');

  const violations: string[] = [];
  const inline = await browser.newPage();
  inline.on('console', (message) => violations.push(message.text()));
  await inline.goto(`${originUrl}/inline.html`);
  await inline.waitForLoadState('load');
  assert.is(await inline.getAttribute('body', 'data-ran'), null, 'the inline script ran');
  assert.ok(
    violations.some((text) => /Content Security Policy/.test(text)),
    `the browser reported the blocked inline script: ${violations.join(' | ')}`,
  );
});

test.run();
