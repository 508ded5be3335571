/**
 * The APIs' CORS allow-list, as a browser enforces it: real Chromium loads a page from an origin
 * on the list and one from an origin not on it (both tiny local servers, see
 * testing/static-origin.ts), and from each calls the query API (GET /orders with a bearer token:
 * a preflighted request), the command API (POST /orders) and opens a socket.io connection. From
 * the allowed origin all of it works; from the other the browser refuses the answers (fetch
 * rejects with a TypeError) and the socket never connects (connect_error) — although the token
 * is valid, so nothing but the origin can explain it. A socket asking for the websocket
 * transport only (never subject to CORS) is refused from the other origin too: the query API
 * checks the handshake's Origin itself.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser, openPage, type Browser, type WatchedPage } from '../testing/browser';
import { stockProduct } from '../testing/customer';
import { startSystem, type RunningSystem } from '../testing/system';
import { serveStaticOrigin, type StaticOrigin } from '../testing/static-origin';

let system: RunningSystem;
let browser: Browser;
let allowed: StaticOrigin;
let refused: StaticOrigin;
let allowedPage: WatchedPage;
let refusedPage: WatchedPage;
let token: string;

/** What the browser tells a page about a request: the answer, or the error fetch rejected with. */
type Fetched = { status: number; body: unknown } | { error: string };
/** How a socket.io connection attempt ended. */
type Connected = { connected: true } | { connected: false; error: string };

function fetchFrom(page: WatchedPage, url: string, init: { method?: string; token: string; body?: unknown }): Promise<Fetched> {
  return page.page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await fetch(url, {
          method: init.method ?? 'GET',
          headers: { authorization: `Bearer ${init.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
          ...(init.body ? { body: JSON.stringify(init.body) } : {}),
        });
        return { status: response.status, body: await response.json() };
      } catch (error) {
        return { error: `${(error as Error).name}: ${(error as Error).message}` };
      }
    },
    { url, init },
  );
}

function connectFrom(page: WatchedPage, url: string, token: string, transports?: string[]): Promise<Connected> {
  return page.page.evaluate(
    ({ url, token, transports }) =>
      new Promise<Connected>((resolve) => {
        // The browser bundle served with the page defines `io` globally.
        const socket = (
          globalThis as unknown as {
            io: (url: string, options: object) => { on(event: string, listener: (error?: Error) => void): void; disconnect(): void };
          }
        ).io(url, {
          auth: { token },
          reconnection: false,
          ...(transports ? { transports } : {}),
        });
        const timer = setTimeout(() => resolve({ connected: false, error: 'neither connect nor connect_error within 10 s' }), 10_000);
        socket.on('connect', () => {
          clearTimeout(timer);
          socket.disconnect();
          resolve({ connected: true });
        });
        socket.on('connect_error', (error) => {
          clearTimeout(timer);
          socket.disconnect();
          resolve({ connected: false, error: error?.message ?? 'connect_error' });
        });
      }),
    { url, token, transports },
  );
}

test.before(async () => {
  [allowed, refused, browser] = await Promise.all([serveStaticOrigin(), serveStaticOrigin(), launchBrowser()]);
  system = await startSystem({ corsOrigins: [allowed.origin] });
  await stockProduct(system, 'MUG', { price: 1250, quantity: 100 });
  token = await system.token('cors-customer');
  allowedPage = await openPage(browser);
  refusedPage = await openPage(browser);
  await allowedPage.page.goto(`${allowed.origin}/`);
  await refusedPage.page.goto(`${refused.origin}/`);
});

test.after(async () => {
  await browser?.close();
  await Promise.all([allowed?.close(), refused?.close()]);
  await system?.stop();
});

test('an allowed origin reads the query API, sends commands and opens a socket', async () => {
  const read = await fetchFrom(allowedPage, `${system.queryUrl}/orders`, { token });
  assert.ok('status' in read, `GET /orders from ${allowed.origin} failed: ${JSON.stringify(read)}`);
  assert.is(read.status, 200);

  const placed = await fetchFrom(allowedPage, `${system.commandUrl}/orders`, {
    method: 'POST',
    token,
    body: { lines: [{ sku: 'MUG', quantity: 1 }], paymentToken: 'tok_ok' },
  });
  assert.ok('status' in placed, `POST /orders from ${allowed.origin} failed: ${JSON.stringify(placed)}`);
  assert.is(placed.status, 202, JSON.stringify(placed));

  assert.equal(await connectFrom(allowedPage, system.queryUrl, token), { connected: true });
  allowedPage.assertNoErrors('the allowed origin');
});

test('another origin gets no answer it can read, and no socket', async () => {
  const read = await fetchFrom(refusedPage, `${system.queryUrl}/orders`, { token });
  assert.equal(read, { error: 'TypeError: Failed to fetch' });

  const placed = await fetchFrom(refusedPage, `${system.commandUrl}/orders`, {
    method: 'POST',
    token,
    body: { lines: [{ sku: 'MUG', quantity: 1 }], paymentToken: 'tok_ok' },
  });
  assert.equal(placed, { error: 'TypeError: Failed to fetch' });

  const socket = await connectFrom(refusedPage, system.queryUrl, token);
  assert.is(socket.connected, false);
  // The same token connects from the allowed origin: the refusal is the origin's, not the token's.
  assert.not.match((socket as { error: string }).error, /unauthorized/i);

  // CORS never applies to a WebSocket upgrade: the query API checks the handshake's Origin itself.
  const websocketOnly = await connectFrom(refusedPage, system.queryUrl, token, ['websocket']);
  assert.is(websocketOnly.connected, false, 'a websocket-only socket from a refused origin connected');
  assert.not.match((websocketOnly as { error: string }).error, /unauthorized/i);

  // What the browser logs about the refusals is expected here; anything else is not.
  refusedPage.assertNoErrors('the refused origin', [
    /CORS policy/,
    /net::ERR_FAILED/,
    /Failed to load resource/,
    /WebSocket connection to .* failed/,
  ]);
});

test('websocket only: the allowed origin connects', async () => {
  assert.equal(await connectFrom(allowedPage, system.queryUrl, token, ['websocket']), { connected: true });
  allowedPage.assertNoErrors('the allowed origin, websocket only');
});

test.run();
