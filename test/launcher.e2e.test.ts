/**
 * `npm start` as a user runs it: a child process, no DATABASE_URL, NATS_URL or EVENTSTORE_URL (so
 * the emulator, PGlite and the in-process bus), its data directory in a temp directory, free
 * ports. An order placed over HTTP is confirmed and visible through the query API; `npm run demo`
 * against it ends every path as it should; SIGTERM stops it with exit 0; started again on the
 * same directory, the order is still there (event log and read models) and a new one goes through.
 * The console's origin (WEB_PORT) serves the console and fronts both APIs and socket.io, with a
 * development sign-in whose tokens the APIs accept; started with JWT_SECRET, there is none.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { io } from 'socket.io-client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../platform/testing/ports';
import { eventually } from '../platform/testing/eventually';
import { placeOrder, query, stockProduct } from './testing/customer';
import type { ShopEndpoints } from './testing/system';
import { mintToken, type Role } from '../platform/auth';
import { readJwtSecret, dataDirectory } from '../platform/local-system/data-dir';

const root = new URL('..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'checkout-start-'));
const otherDataDir = mkdtempSync(join(tmpdir(), 'checkout-start-secret-'));
const withoutServers = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !['DATABASE_URL', 'NATS_URL', 'EVENTSTORE_URL', 'JWT_SECRET'].includes(name)),
);

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

const ports = {
  WEB_PORT: 0,
  COMMAND_API_PORT: 0,
  QUERY_API_PORT: 0,
  PAYMENT_SANDBOX_PORT: 0,
  PROJECTORS_PORT: 0,
  SAGA_PORT: 0,
  EVENTSTORE_EMULATOR_PORT: 0,
};

async function npmStart(extraEnv: Record<string, string> = {}, directory = dataDir): Promise<Started> {
  for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
  const env = {
    ...withoutServers,
    CHECKOUT_DATA_DIR: directory,
    ...extraEnv,
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
  };
  const child = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = { child, output: () => output, exited };
  let gone = false;
  void exited.then(() => (gone = true));
  for (const deadline = Date.now() + 90_000; !/^READY$/m.test(output);) {
    if (gone || Date.now() > deadline) throw new Error(`npm start did not get ready${gone ? ' (it exited)' : ''}:\n${output}`);
    await sleep(100);
  }
  return started;
}

function shop(): ShopEndpoints {
  const secret = readJwtSecret(dataDirectory(dataDir))!;
  return {
    commandUrl: `http://127.0.0.1:${ports.COMMAND_API_PORT}`,
    queryUrl: `http://127.0.0.1:${ports.QUERY_API_PORT}`,
    token: (sub: string, role: Role = 'customer') => mintToken({ sub, role, secret }),
  };
}

async function confirmed(system: ShopEndpoints, customerId: string, orderId: string) {
  return eventually(`order ${orderId} confirmed`, async () => {
    const { status, body } = await query(system, customerId, `/orders/${orderId}`);
    return status === 200 && body.status === 'confirmed' ? body : undefined;
  });
}

let running: Started | undefined;

test.after(async () => {
  running?.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(otherDataDir, { recursive: true, force: true });
});

test('npm start, an order, the demo, SIGTERM, npm start again: everything is still there', async () => {
  running = await npmStart();
  const first = running.output();
  assert.match(first, `http://127.0.0.1:${ports.COMMAND_API_PORT}`);
  assert.match(first, /PGlite in .*\(embedded\)/);
  assert.match(first, /in-process bus \(embedded\)/);
  const adminToken = /ADMIN=(\S+)/.exec(first)![1]!;
  const system = shop();

  // The printed admin token is accepted.
  const registered = await fetch(`${system.commandUrl}/products`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sku: 'MUG', name: 'Blue mug', price: { amount: 1250, currency: 'EUR' } }),
  });
  assert.is(registered.status, 201);
  await fetch(`${system.commandUrl}/products/MUG/stock`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ quantity: 10 }),
  });
  const order = await placeOrder(system, 'alice', [{ sku: 'MUG', quantity: 2 }]);
  const before = await confirmed(system, 'alice', order.orderId);

  // The demo, against this system, its tokens from the data directory's secret.
  const demo = spawn('npm', ['run', '-s', 'demo', '--', '--json'], {
    cwd: root,
    env: { ...withoutServers, CHECKOUT_DATA_DIR: dataDir, COMMAND_API_URL: system.commandUrl, QUERY_API_URL: system.queryUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let demoOut = '';
  let demoErr = '';
  demo.stdout.on('data', (chunk) => (demoOut += chunk));
  demo.stderr.on('data', (chunk) => (demoErr += chunk));
  const demoCode = await new Promise<number | null>((resolve) => demo.once('exit', resolve));
  assert.is(demoCode, 0, demoErr + demoOut);
  const report = JSON.parse(demoOut) as {
    ok: boolean;
    orders: {
      path: string;
      ok: boolean;
      status: string;
      reason: string | null;
      notifications: { type: string }[];
      timeline: { type: string }[];
    }[];
  };
  assert.ok(report.ok);
  assert.equal(
    report.orders.map(({ path, ok, status, reason, notifications }) => ({
      path,
      ok,
      status,
      reason,
      notifications: notifications.map(({ type }) => type),
    })),
    [
      { path: 'confirmed', ok: true, status: 'confirmed', reason: null, notifications: ['OrderConfirmed'] },
      { path: 'out of stock', ok: true, status: 'cancelled', reason: 'out_of_stock', notifications: ['OrderCancelled'] },
      {
        path: 'payment declined',
        ok: true,
        status: 'cancelled',
        reason: 'payment_declined',
        notifications: ['PaymentDeclined', 'OrderCancelled'],
      },
      { path: 'payment timed out', ok: true, status: 'cancelled', reason: 'payment_timed_out', notifications: ['OrderCancelled'] },
      { path: 'cancelled by the customer', ok: true, status: 'cancelled', reason: 'customer_request', notifications: ['OrderCancelled'] },
    ],
  );
  assert.ok(report.orders.find(({ path }) => path === 'payment timed out')!.timeline.some(({ type }) => type === 'PaymentTimedOut'));

  await throughTheConsoleOrigin(first);

  running.child.kill('SIGTERM');
  assert.is(await running.exited, 0, running.output());

  running = await npmStart();
  const again = shop();
  // The read model kept the order as it was.
  assert.equal(await confirmed(again, 'alice', order.orderId), before);
  const stock = await query(again, 'alice', '/products/MUG');
  assert.is(stock.status, 200);
  const next = await placeOrder(again, 'alice', [{ sku: 'MUG', quantity: 1 }]);
  await confirmed(again, 'alice', next.orderId);
  // The new order was accepted and reserved against the product the first run registered (event
  // log), and the read model adds its sale to the two it kept.
  const sold = await eventually('3 mugs sold', async () => {
    const { body } = await query(again, 'alice', '/products/MUG');
    return JSON.stringify(body).includes('"sold":3') ? body : undefined;
  });
  assert.ok(sold);
  running.child.kill('SIGTERM');
  assert.is(await running.exited, 0, running.output());
  running = undefined;
});

const webUrl = () => `http://127.0.0.1:${ports.WEB_PORT}`;

async function signIn(sub: string, role: Role): Promise<{ token: string; expiresAt: string }> {
  const response = await fetch(`${webUrl()}/dev/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub, role }),
  });
  assert.is(response.status, 200, `dev sign-in as ${sub}`);
  return (await response.json()) as { token: string; expiresAt: string };
}

/** What a browser does at WEB_PORT: the console, its configuration, sign-in, both APIs and both socket.io transports. */
async function throughTheConsoleOrigin(banner: string) {
  assert.match(banner, `  console           ${webUrl()}   (sign in as any user, development only)`);
  const page = await fetch(`${webUrl()}/`);
  assert.is(page.status, 200);
  assert.match(page.headers.get('content-type')!, /^text\/html/);
  assert.match(await page.text(), /<script type="module"[^>]* src="\/assets\/[^"]+\.js"/);
  assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
  for (const api of ['commands', 'queries']) {
    const health = await fetch(`${webUrl()}/api/${api}/health`);
    assert.is(health.status, 200, `/api/${api}/health`);
    assert.equal(await health.json(), { status: 'ok' });
  }
  assert.equal(await (await fetch(`${webUrl()}/console-config.json`)).json(), { devSignIn: true, oidc: null });

  // Dev sign-in's tokens: 8 hours, accepted by both APIs (an admin's to stock a product, a customer's to order it).
  const admin = await signIn('ops@shop', 'admin');
  const hours = (Date.parse(admin.expiresAt) - Date.now()) / 3_600_000;
  assert.ok(hours > 7.9 && hours <= 8, `expires in ${hours} h`);
  const viaOrigin: ShopEndpoints = {
    commandUrl: `${webUrl()}/api/commands`,
    queryUrl: `${webUrl()}/api/queries`,
    token: async (sub: string, role: Role = 'customer') => (await signIn(sub, role)).token,
  };
  await stockProduct(viaOrigin, 'TEAPOT');

  // A customer's sockets, one per transport, through /socket.io on the origin.
  const { token } = await signIn('bob', 'customer');
  const sockets = (['websocket', 'polling'] as const).map((transport) =>
    io(webUrl(), { path: '/socket.io', transports: [transport], auth: { token }, forceNew: true }),
  );
  try {
    const notified = sockets.map(
      (socket) =>
        new Promise<{ type: string; orderId: string | null }[]>((resolve) => {
          const seen: { type: string; orderId: string | null }[] = [];
          socket.on('notification', (notification: { type: string; orderId: string | null }) => {
            seen.push(notification);
            if (notification.type === 'OrderConfirmed') resolve(seen);
          });
        }),
    );
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve, reject) => {
            socket.once('connect', resolve);
            socket.once('connect_error', reject);
          }),
      ),
    );
    const order = await placeOrder(viaOrigin, 'bob', [{ sku: 'TEAPOT', quantity: 1 }]);
    const confirmedOrder = await eventually(`order ${order.orderId} confirmed, read through the origin`, async () => {
      const { status, body } = await query(viaOrigin, 'bob', `/orders/${order.orderId}`);
      return status === 200 && body.status === 'confirmed' ? body : undefined;
    });
    assert.is(confirmedOrder.status, 'confirmed');
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('no OrderConfirmed notification through the origin')), 15_000).unref(),
    );
    for (const seen of await Promise.race([Promise.all(notified), timeout])) {
      assert.ok(seen.some(({ type, orderId }) => type === 'OrderConfirmed' && orderId === order.orderId));
    }
  } finally {
    for (const socket of sockets) socket.close();
  }
}

test('npm start with JWT_SECRET: the console asks for a token, and there is no development sign-in', async () => {
  const secret = 's'.repeat(40);
  running = await npmStart({ JWT_SECRET: secret }, otherDataDir);
  assert.match(running.output(), `  console           ${webUrl()}   (paste a token`);
  assert.equal(await (await fetch(`${webUrl()}/console-config.json`)).json(), { devSignIn: false, oidc: null });
  const signInAttempt = await fetch(`${webUrl()}/dev/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: 'mallory', role: 'admin' }),
  });
  assert.is(signInAttempt.status, 404);
  assert.match(signInAttempt.headers.get('content-type')!, /^application\/problem\+json/);
  // The console is still served, and the APIs behind it take tokens signed with that secret.
  assert.is((await fetch(`${webUrl()}/`)).status, 200);
  const token = await mintToken({ sub: 'carol', role: 'customer', secret });
  const orders = await fetch(`${webUrl()}/api/queries/orders`, { headers: { authorization: `Bearer ${token}` } });
  assert.is(orders.status, 200);
  running.child.kill('SIGTERM');
  assert.is(await running.exited, 0, running.output());
  running = undefined;
});

test.run();
