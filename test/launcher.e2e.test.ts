/**
 * `npm start` as a user runs it: a child process, no DATABASE_URL, NATS_URL or EVENTSTORE_URL (so
 * the emulator, PGlite and the in-process bus), its data directory in a temp directory, free
 * ports. An order placed over HTTP is confirmed and visible through the query API; `npm run demo`
 * against it ends every path as it should; SIGTERM stops it with exit 0; started again on the
 * same directory, the order is still there (event log and read models) and a new one goes through.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../saga/testing-process';
import { eventually, placeOrder, query } from './support/customer';
import type { ShopEndpoints } from './support/system';
import { mintToken, type Role } from '../platform/auth';
import { readJwtSecret, dataDirectory } from '../launcher/data-dir';

const root = new URL('..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'checkout-start-'));
const withoutServers = Object.fromEntries(Object.entries(process.env).filter(([name]) => !['DATABASE_URL', 'NATS_URL', 'EVENTSTORE_URL', 'JWT_SECRET'].includes(name)));

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

const ports = { COMMAND_API_PORT: 0, QUERY_API_PORT: 0, PAYMENT_SANDBOX_PORT: 0, PROJECTORS_PORT: 0, SAGA_PORT: 0, EVENTSTORE_EMULATOR_PORT: 0 };

async function npmStart(): Promise<Started> {
  for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
  const env = { ...withoutServers, CHECKOUT_DATA_DIR: dataDir, ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])) };
  const child = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = { child, output: () => output, exited };
  let gone = false;
  void exited.then(() => (gone = true));
  for (const deadline = Date.now() + 90_000; !/^READY$/m.test(output); ) {
    if (gone || Date.now() > deadline) throw new Error(`npm start did not get ready${gone ? ' (it exited)' : ''}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
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
  await fetch(`${system.commandUrl}/products/MUG/stock`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ quantity: 10 }) });
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
  const report = JSON.parse(demoOut) as { ok: boolean; orders: { path: string; ok: boolean; status: string; reason: string | null; notifications: { type: string }[]; timeline: { type: string }[] }[] };
  assert.ok(report.ok);
  assert.equal(
    report.orders.map(({ path, ok, status, reason, notifications }) => ({ path, ok, status, reason, notifications: notifications.map(({ type }) => type) })),
    [
      { path: 'confirmed', ok: true, status: 'confirmed', reason: null, notifications: ['OrderConfirmed'] },
      { path: 'out of stock', ok: true, status: 'cancelled', reason: 'out_of_stock', notifications: ['OrderCancelled'] },
      { path: 'payment declined', ok: true, status: 'cancelled', reason: 'payment_declined', notifications: ['PaymentDeclined', 'OrderCancelled'] },
      { path: 'payment timed out', ok: true, status: 'cancelled', reason: 'payment_timed_out', notifications: ['OrderCancelled'] },
      { path: 'cancelled by the customer', ok: true, status: 'cancelled', reason: 'customer_request', notifications: ['OrderCancelled'] },
    ],
  );
  assert.ok(report.orders.find(({ path }) => path === 'payment timed out')!.timeline.some(({ type }) => type === 'PaymentTimedOut'));

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

test.run();
