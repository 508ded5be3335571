/**
 * Operating the default system from outside its process: `npm start` as a child process (no
 * server variables, its data directory in a temp directory, free ports), then, with no variables
 * either, `npm run replay -- status`, `verify --all`, a `rebuild orders --yes` while orders flow
 * (the swapped model equals a fresh fold: verify finds no difference), `npm run token`, and pg
 * queries over the embedded PostgreSQL's port (as psql would). Stopped, system.json is gone and the
 * CLI says in one line what to start or set.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dataDirectory, readJwtSecret } from '../platform/local-system/data-dir';
import { mintToken, verifyToken, type Role } from '../platform/auth';
import { freePort } from '../platform/testing/ports';
import { eventually } from '../platform/testing/eventually';
import { placeOrder, query, stockProduct } from './testing/customer';
import type { ShopEndpoints } from './testing/system';

const root = new URL('..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'checkout-operate-'));
const nowhere = mkdtempSync(join(tmpdir(), 'checkout-operate-none-'));
// What a new user's shell has: none of the servers' variables.
const bare = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !['DATABASE_URL', 'DATABASE_SCHEMA', 'NATS_URL', 'EVENTSTORE_URL', 'JWT_SECRET', 'CHECKOUT_DATA_DIR'].includes(name),
  ),
);
const ports = {
  WEB_PORT: 0,
  COMMAND_API_PORT: 0,
  QUERY_API_PORT: 0,
  PAYMENT_SANDBOX_PORT: 0,
  PROJECTORS_PORT: 0,
  SAGA_PORT: 0,
  EVENTSTORE_EMULATOR_PORT: 0,
  EMBEDDED_PG_PORT: 0,
};

let launcher: { child: ChildProcess; output(): string; exited: Promise<number | null> } | undefined;

async function npmStart(): Promise<NonNullable<typeof launcher>> {
  for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
  const env = {
    ...bare,
    CHECKOUT_DATA_DIR: dataDir,
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
  };
  const child = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  let gone = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => (gone = true));
  for (const deadline = Date.now() + 90_000; !/^READY$/m.test(output);) {
    if (gone || Date.now() > deadline) throw new Error(`npm start did not get ready${gone ? ' (it exited)' : ''}:\n${output}`);
    await sleep(100);
  }
  return { child, output: () => output, exited };
}

/** An npm script as a user runs it in the checkout's directory: no variables but the data directory. */
function npmRun(args: string[], directory = dataDir): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('npm', ['run', '-s', ...args], {
    cwd: root,
    env: { ...bare, CHECKOUT_DATA_DIR: directory },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

function shop(): ShopEndpoints {
  const secret = readJwtSecret(dataDirectory(dataDir))!;
  return {
    commandUrl: `http://127.0.0.1:${ports.COMMAND_API_PORT}`,
    queryUrl: `http://127.0.0.1:${ports.QUERY_API_PORT}`,
    token: (sub: string, role: Role = 'customer') => mintToken({ sub, role, secret }),
  };
}

test.after(async () => {
  launcher?.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(nowhere, { recursive: true, force: true });
});

test('with no variables: replay status, verify, rebuild while orders flow, token and pg over the embedded port; none once stopped', async () => {
  launcher = await npmStart();
  const databaseUrl = `postgres://postgres@127.0.0.1:${ports.EMBEDDED_PG_PORT}/postgres`;
  assert.match(launcher.output(), `psql ${databaseUrl}`);

  // system.json: the addresses, owner-only, never the secret.
  const systemFile = join(dataDir, 'system.json');
  assert.is(statSync(systemFile).mode & 0o777, 0o600);
  const written = readFileSync(systemFile, 'utf8');
  const system = JSON.parse(written) as Record<string, unknown>;
  assert.is(system.pid, Number(readFileSync(join(dataDir, 'launcher.lock'), 'utf8')));
  assert.is(system.databaseUrl, databaseUrl);
  assert.is(system.commandUrl, `http://127.0.0.1:${ports.COMMAND_API_PORT}`);
  assert.is(system.eventStoreUrl, `esdb://127.0.0.1:${ports.EVENTSTORE_EMULATOR_PORT}?tls=false`);
  assert.not.ok(written.includes(readJwtSecret(dataDirectory(dataDir))!));

  const endpoints = shop();
  await stockProduct(endpoints, 'MUG', { quantity: 10_000 });
  const first = await placeOrder(endpoints, 'alice', [{ sku: 'MUG', quantity: 1 }]);
  await eventually('the first order visible', async () =>
    (await query(endpoints, 'alice', `/orders/${first.orderId}`)).status === 200 ? true : undefined,
  );

  const status = await npmRun(['replay', '--', 'status']);
  assert.is(status.code, 0, status.stderr);
  assert.match(status.stdout, /^orders\s+\d+/m);
  const verified = await npmRun(['replay', '--', 'verify', '--all']);
  assert.is(verified.code, 0, verified.stderr + verified.stdout);
  assert.match(verified.stdout, /^no differences/);

  // pg over the port, as psql: the read models, and a transaction of its own.
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>('select count(*) from orders where order_id = $1', [first.orderId]);
    assert.is(Number(rows[0]!.count), 1);
    await client.query('begin');
    await client.query('create table operate_probe (n int)');
    await client.query('insert into operate_probe values (1)');
    await client.query('rollback');
    const { rows: probe } = await client.query<{ present: boolean }>(`select to_regclass('operate_probe') is not null as present`);
    assert.is(probe[0]!.present, false);
  } finally {
    await client.end();
  }

  // A rebuild of orders while orders keep coming.
  let flowing = true;
  const placed: string[] = [];
  const flow = (async () => {
    for (let n = 0; flowing || n < 5; n++)
      placed.push((await placeOrder(endpoints, `customer-${n % 3}`, [{ sku: 'MUG', quantity: 1 }])).orderId);
  })();
  const rebuilt = await npmRun(['replay', '--', 'rebuild', 'orders', '--yes']);
  flowing = false;
  await flow;
  assert.is(rebuilt.code, 0, rebuilt.stderr + rebuilt.stdout);
  assert.match(rebuilt.stdout, /swapped 1 table \(orders\)/);
  for (const orderId of placed.slice(-3)) {
    const customer = `customer-${placed.indexOf(orderId) % 3}`;
    await eventually(
      `order ${orderId} visible after the swap`,
      async () => ((await query(endpoints, customer, `/orders/${orderId}`)).status === 200 ? true : undefined),
      { timeoutMs: 30_000 },
    );
  }
  const afterSwap = await npmRun(['replay', '--', 'verify', 'orders']);
  assert.is(afterSwap.code, 0, afterSwap.stderr + afterSwap.stdout);
  assert.match(afterSwap.stdout, /^no differences/);

  // npm run token: the running system's secret.
  const token = await npmRun(['token', '--', '--sub', 'bob', '--role', 'admin']);
  assert.is(token.code, 0, token.stderr);
  assert.equal(await verifyToken(token.stdout.trim(), readJwtSecret(dataDirectory(dataDir))!), {
    ok: true,
    principal: { sub: 'bob', role: 'admin' },
  });

  launcher.child.kill('SIGTERM');
  assert.is(await launcher.exited, 0, launcher.output());
  launcher = undefined;
  assert.not.ok(existsSync(systemFile));
  const stopped = await npmRun(['replay', '--', 'status']);
  assert.is(stopped.code, 2);
  assert.is(
    stopped.stderr,
    `replay: no running \`npm start\` found in ${dataDir} and EVENTSTORE_URL and DATABASE_URL not set: start the checkout with \`npm start\` (in this directory, or set CHECKOUT_DATA_DIR to its data directory), or set EVENTSTORE_URL and DATABASE_URL\n`,
  );
});

test('a system.json left by a launcher that is gone is ignored with a note', async () => {
  const stale = join(nowhere, 'system.json');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    stale,
    JSON.stringify({
      pid: 2 ** 22 + 7,
      startedAt: 'then',
      dataDir: nowhere,
      commandUrl: 'x',
      queryUrl: 'x',
      projectorsUrl: 'x',
      sagaUrl: 'x',
      eventStoreUrl: 'x',
      databaseUrl: 'x',
      databaseSchema: 'public',
      busUrl: 'x',
      embedded: { eventStore: true, database: true, bus: true },
      jwtSecretInDataDir: true,
    }),
  );
  const result = await npmRun(['replay', '--', 'status'], nowhere);
  assert.is(result.code, 2);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines[0], `replay: ignoring ${stale}: its launcher (pid ${2 ** 22 + 7}) is no longer running`);
  assert.match(lines[1]!, /^replay: no running `npm start` found in /);
});

test.run();
