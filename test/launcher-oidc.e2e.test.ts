/**
 * `npm start` with an identity provider (OIDC_* pointing at the local test provider,
 * platform/testing/identity-provider.ts): the provider's tokens are the only ones, so there is no development
 * sign-in, no token is printed and no secret is kept; the console is offered "Sign in with
 * <issuer>"; a provider token works through the console's origin, over HTTP and socket.io.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mintToken } from '../platform/auth';
import { startTestIdentityProvider, type TestIdentityProvider } from '../platform/testing/identity-provider';
import { dataDirectory } from '../platform/local-system/data-dir';
import { freePort } from '../platform/testing/ports';

const root = new URL('..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'checkout-start-oidc-'));
const inherited = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(DATABASE_URL|NATS_URL|EVENTSTORE_URL|JWT_SECRET|OIDC_.*)$/.test(name)),
);
const ports = {
  WEB_PORT: 0,
  COMMAND_API_PORT: 0,
  QUERY_API_PORT: 0,
  PAYMENT_SANDBOX_PORT: 0,
  PROJECTORS_PORT: 0,
  SAGA_PORT: 0,
  EVENTSTORE_EMULATOR_PORT: 0,
};

let provider: TestIdentityProvider;
let child: ChildProcess | undefined;
let exited: Promise<unknown> = Promise.resolve();
let output = '';
const webUrl = () => `http://127.0.0.1:${ports.WEB_PORT}`;

test.before(async () => {
  provider = await startTestIdentityProvider({ rolesClaim: 'realm_access.roles' });
  for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
  const env = {
    ...inherited,
    CHECKOUT_DATA_DIR: dataDir,
    OIDC_ISSUER: provider.issuer,
    OIDC_AUDIENCE: provider.audience,
    OIDC_JWKS_URL: provider.jwksUrl,
    OIDC_ROLES_CLAIM: provider.rolesClaim,
    OIDC_CONSOLE_CLIENT_ID: provider.clientId,
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
  };
  const started = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child = started;
  started.stdout!.on('data', (chunk) => (output += chunk));
  started.stderr!.on('data', (chunk) => (output += chunk));
  exited = new Promise((resolve) => started.once('exit', resolve));
  for (const deadline = Date.now() + 90_000; !/^READY$/m.test(output);) {
    if (started.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not get ready:\n${output}`);
    await sleep(100);
  }
});

test.after(async () => {
  child?.kill('SIGTERM');
  await exited;
  await provider?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the banner names the provider and prints no token; no secret is kept', () => {
  assert.match(output, `sign in with ${provider.issuer}`);
  assert.not.match(output, /ADMIN=|ALICE=/);
  assert.not.ok(existsSync(dataDirectory(dataDir).jwtSecretFile), 'a JWT secret was written to the data directory');
});

test('the console is offered the provider, and no development sign-in', async () => {
  const config = (await (await fetch(`${webUrl()}/console-config.json`)).json()) as {
    devSignIn: boolean;
    oidc: { issuer: string; clientId: string; rolesClaim: string } | null;
  };
  assert.is(config.devSignIn, false);
  assert.equal(
    { issuer: config.oidc?.issuer, clientId: config.oidc?.clientId, rolesClaim: config.oidc?.rolesClaim },
    { issuer: provider.issuer, clientId: provider.clientId, rolesClaim: provider.rolesClaim },
  );
  const signIn = await fetch(`${webUrl()}/dev/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: 'mallory', role: 'admin' }),
  });
  assert.is(signIn.status, 404);
});

test("the provider's tokens work through the console's origin; a shared-secret token does not", async () => {
  const admin = await provider.issue({ sub: 'ada', roles: ['admin'] });
  const registered = await fetch(`${webUrl()}/api/commands/products`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sku: 'OIDC-MUG', name: 'Mug', price: { amount: 900, currency: 'EUR' } }),
  });
  assert.is(registered.status, 201, await registered.text());
  const customer = await provider.issue({ sub: 'alice', roles: ['customer'] });
  const orders = await fetch(`${webUrl()}/api/queries/orders`, { headers: { authorization: `Bearer ${customer}` } });
  assert.is(orders.status, 200);
  const projections = await fetch(`${webUrl()}/api/queries/operations/projections`, { headers: { authorization: `Bearer ${admin}` } });
  assert.is(
    projections.status,
    200,
    'the query API forwards the admin token to the projector service, which verifies it with the provider too',
  );

  const forged = await mintToken({ sub: 'mallory', role: 'admin', secret: 'x'.repeat(40) });
  const refused = await fetch(`${webUrl()}/api/queries/orders`, { headers: { authorization: `Bearer ${forged}` } });
  assert.is(refused.status, 401);
});

test("the console's socket through the origin connects with a provider token (websocket only, the page's Origin)", async () => {
  const token = await provider.issue({ sub: 'alice', roles: ['customer'] });
  const socket = io(webUrl(), {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { token },
    extraHeaders: { origin: webUrl() },
  });
  const outcome = await new Promise<string>((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (error) => resolve(`refused: ${error.message}`));
  });
  socket.disconnect();
  assert.is(outcome, 'connected');
});

test.run();
