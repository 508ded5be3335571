/**
 * Tokens of an identity provider, verified against its JWKS over real HTTP: a local provider
 * (platform/testing/identity-provider.ts) with jose-generated RS256 and ES256 keys and a discovery document, in front of a
 * real fastify app guarded by `requireRole`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createHmac } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHttpServer, type HttpServer } from '../http/server';
import { listenOnEphemeralPort } from '../testing/ports';
import { createLogger } from '../logger';
import { oidcVerifier, principalOf, registerAuth, type TokenVerifier } from './index';
import { startTestIdentityProvider, unsignedToken, type TestIdentityProvider } from '../testing/identity-provider';

let provider: TestIdentityProvider;
let verifier: TokenVerifier;
let app: HttpServer;
let baseUrl: string;
const MAX_LIFETIME = 3600;

test.before(async () => {
  provider = await startTestIdentityProvider({ audience: 'checkout-apis' });
  // Keys found through the discovery document; a short cooldown so the rotation test need not wait 30 s.
  verifier = oidcVerifier({ issuer: provider.issuer, audience: ['checkout-apis'], maxLifetimeSeconds: MAX_LIFETIME, cooldownMs: 200 });
  app = await createHttpServer({ logger: createLogger({ service: 'oidc-test', level: 'silent' }) });
  registerAuth(app, { tokens: verifier, failuresPerMinute: 10_000 });
  app.get('/my/orders', { preHandler: app.requireRole('customer', 'admin') }, async (request) => principalOf(request));
  app.get('/admin/report', { preHandler: app.requireRole('admin') }, async (request) => ({ by: principalOf(request).sub }));
  baseUrl = await listenOnEphemeralPort(app);
});

test.after(async () => {
  await app?.close();
  await provider?.stop();
});

async function get(path: string, token: string) {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const now = () => Math.floor(Date.now() / 1000);
const rsa = () => provider.keys.find((key) => key.alg === 'RS256')!;
const ec = () => provider.keys.find((key) => key.alg === 'ES256')!;

test('RS256 and ES256 tokens of the provider are accepted; roles come from the `roles` claim', async () => {
  const customer = await get('/my/orders', await provider.issue({ sub: 'alice', roles: ['customer'], key: rsa() }));
  assert.equal(customer, { status: 200, body: { sub: 'alice', role: 'customer' } });
  const admin = await get('/admin/report', await provider.issue({ sub: 'root', roles: ['offline_access', 'admin'], key: ec() }));
  assert.equal(admin, { status: 200, body: { by: 'root' } });
  // Holding both roles is acting as admin.
  assert.equal((await get('/my/orders', await provider.issue({ sub: 'both', roles: ['customer', 'admin'] }))).body, {
    sub: 'both',
    role: 'admin',
  });
});

test('a token whose issuer, audience, expiry, issue time or lifetime is wrong → 401 naming the claim', async () => {
  const cases: [string, Parameters<TestIdentityProvider['issue']>[0], RegExp][] = [
    ['wrong iss', { sub: 'eve', roles: ['admin'], iss: 'https://evil.example.com' }, /iss claim/],
    ['wrong aud', { sub: 'eve', roles: ['admin'], aud: 'some-other-api' }, /aud claim/],
    ['no aud', { sub: 'eve', roles: ['admin'], aud: null }, /no aud claim/],
    ['no exp', { sub: 'eve', roles: ['admin'], exp: null }, /no exp claim/],
    ['iat in the future', { sub: 'eve', roles: ['admin'], iat: now() + 600, exp: now() + 900 }, /issued in the future/],
    ['lifetime over the maximum', { sub: 'eve', roles: ['admin'], iat: now(), exp: now() + MAX_LIFETIME + 60 }, /lifetime/],
    ['no iat, but too long left', { sub: 'eve', roles: ['admin'], iat: null, exp: now() + MAX_LIFETIME + 60 }, /lifetime/],
  ];
  for (const [name, claims, detail] of cases) {
    const response = await get('/admin/report', await provider.issue(claims));
    assert.is(response.status, 401, name);
    assert.is(response.body.reason, 'invalid_token', name);
    assert.match(String(response.body.detail), detail, name);
  }
  const expired = await get('/my/orders', await provider.issue({ sub: 'eve', roles: ['customer'], iat: now() - 600, exp: now() - 300 }));
  assert.equal([expired.status, expired.body.reason], [401, 'expired_token']);
  // The maximum itself is fine.
  assert.is(
    (await get('/my/orders', await provider.issue({ sub: 'ok', roles: ['customer'], iat: now(), exp: now() + MAX_LIFETIME }))).status,
    200,
  );
});

test('alg "none", and HS256 "signed" with the public key (algorithm confusion) → 401', async () => {
  const claims = { sub: 'eve', roles: ['admin'], iss: provider.issuer, aud: 'checkout-apis', iat: now(), exp: now() + 300 };
  assert.is((await get('/admin/report', unsignedToken(claims))).status, 401);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const publicJwk = JSON.stringify(rsa().publicJwk);
  for (const header of [
    { alg: 'HS256', typ: 'JWT' },
    { alg: 'HS256', typ: 'JWT', kid: rsa().kid },
  ]) {
    const input = `${part(header)}.${part(claims)}`;
    const forged = `${input}.${createHmac('sha256', publicJwk).update(input).digest('base64url')}`;
    const response = await get('/admin/report', forged);
    assert.is(response.status, 401);
    assert.is(response.body.reason, 'invalid_token');
  }
  // A token signed by a key the provider never published.
  const { newSigningKey } = await import('../testing/identity-provider');
  const stranger = await newSigningKey('RS256', rsa().kid);
  assert.is((await get('/admin/report', await provider.issue({ sub: 'eve', roles: ['admin'], key: stranger }))).status, 401);
});

test('a genuine token with no role of the shop → 403 on a role route, not 401', async () => {
  for (const roles of [['offline_access', 'uma_authorization'], undefined]) {
    const response = await get('/my/orders', await provider.issue({ sub: 'visitor', ...(roles ? { roles } : {}) }));
    assert.is(response.status, 403);
    assert.match(String(response.body.detail), /none of the shop's roles/);
  }
});

test('key rotation: a token signed with a key published later is accepted once the key set is fetched again', async () => {
  const before = provider.jwksFetches;
  const next = await provider.rotate('ES256', { publish: false });
  const token = await provider.issue({ sub: 'rita', roles: ['customer'] });
  assert.is((await get('/my/orders', token)).status, 401, 'not published yet: unknown key id');
  provider.publish(next);
  // jose fetches the key set again for an unknown key id, but not within its cooldown (200 ms here).
  const deadline = Date.now() + 10_000;
  let status = 0;
  while (Date.now() < deadline && (status = (await get('/my/orders', token)).status) !== 200) await sleep(100);
  assert.is(status, 200);
  assert.ok(provider.jwksFetches > before);
  // The old key still works while it is published; retired, its tokens are refused after a refetch.
  assert.is((await get('/my/orders', await provider.issue({ sub: 'old', roles: ['customer'], key: rsa() }))).status, 200);
});

test('the cooldown holds: a burst of tokens with unknown key ids fetches the key set at most once more', async () => {
  const patient = oidcVerifier({ issuer: provider.issuer, audience: ['checkout-apis'], jwksUrl: provider.jwksUrl });
  assert.is((await patient.verify(await provider.issue({ sub: 'a', roles: ['customer'], key: rsa() }))).ok, true);
  const before = provider.jwksFetches;
  const { newSigningKey } = await import('../testing/identity-provider');
  for (let i = 0; i < 10; i++) {
    const result = await patient.verify(await provider.issue({ sub: 'a', roles: ['customer'], key: await newSigningKey('RS256') }));
    assert.is(result.ok, false);
  }
  assert.ok(provider.jwksFetches - before <= 1, `fetched ${provider.jwksFetches - before} times`);
});

test("roles from Keycloak's realm_access.roles", async () => {
  const keycloak = await startTestIdentityProvider({ audience: 'checkout-apis', rolesClaim: 'realm_access.roles' });
  try {
    const realmRoles = oidcVerifier({ issuer: keycloak.issuer, audience: ['checkout-apis'], rolesClaim: 'realm_access.roles' });
    const result = await realmRoles.verify(await keycloak.issue({ sub: 'kc-admin', roles: ['default-roles-checkout', 'admin'] }));
    assert.equal(result, { ok: true, principal: { sub: 'kc-admin', role: 'admin' } });
    // Roles at the top level do not count when the claim is realm_access.roles.
    const topLevel = await realmRoles.verify(await keycloak.issue({ sub: 'x', claims: { roles: ['admin'] } }));
    assert.equal(topLevel.ok ? 'accepted' : topLevel.reason, 'no_role');
  } finally {
    await keycloak.stop();
  }
});

test('the provider unreachable → 503, not 401', async () => {
  const gone = await startTestIdentityProvider();
  const token = await gone.issue({ sub: 'alice', roles: ['customer'] });
  await gone.stop();
  const orphan = await createHttpServer({ logger: createLogger({ service: 'oidc-test', level: 'silent' }) });
  registerAuth(orphan, { tokens: oidcVerifier({ issuer: gone.issuer, audience: ['checkout-apis'], timeoutMs: 2000 }) });
  orphan.get('/my/orders', { preHandler: orphan.requireRole('customer') }, async () => ({}));
  try {
    const url = await listenOnEphemeralPort(orphan);
    const response = await fetch(`${url}/my/orders`, { headers: { authorization: `Bearer ${token}` } });
    assert.is(response.status, 503);
    assert.is(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  } finally {
    await orphan.close();
  }
});

test('a discovery document naming another issuer is not trusted', async () => {
  // The same server under another name: its document says 127.0.0.1, not localhost.
  const liar = oidcVerifier({ issuer: provider.issuer.replace('127.0.0.1', 'localhost'), audience: ['checkout-apis'] });
  const outcome = await liar.verify(await provider.issue({ sub: 'a', roles: ['customer'] })).then(
    () => 'accepted',
    (error: Error) => error.message,
  );
  assert.match(outcome, /names the issuer http:\/\/127\.0\.0\.1/);
});

test.run();
