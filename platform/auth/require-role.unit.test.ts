import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../logger';
import { createHttpServer, type HttpServer } from '../http/server';
import { listenOnEphemeralPort } from '../testing/ports';
import { mintToken, principalOf, registerAuth, sharedSecretVerifier, verifyBearer } from './index';

const secret = 'a-test-secret-that-is-at-least-32-chars!';
const otherSecret = 'another-secret-that-is-also-32-chars-long';

let app: HttpServer;
let baseUrl: string;

test.before(async () => {
  app = await createHttpServer({ logger: createLogger({ service: 'auth-test', level: 'silent' }) });
  registerAuth(app, { secret });
  app.get('/admin/report', { preHandler: app.requireRole('admin') }, async (request) => ({ by: principalOf(request).sub }));
  app.get('/my/orders', { preHandler: app.requireRole('customer', 'admin') }, async (request) => principalOf(request));
  baseUrl = await listenOnEphemeralPort(app);
});

test.after(async () => {
  await app.close();
});

async function get(path: string, authorization?: string) {
  const response = await fetch(`${baseUrl}${path}`, { headers: authorization ? { authorization } : {} });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    challenge: response.headers.get('www-authenticate'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

test('a valid customer token reaches a customer route, and the route sees who called', async () => {
  const token = await mintToken({ sub: 'alice', role: 'customer', secret });
  const response = await get('/my/orders', `Bearer ${token}`);
  assert.is(response.status, 200);
  assert.equal(response.body, { sub: 'alice', role: 'customer' });
});

test('an admin token reaches an admin route', async () => {
  const token = await mintToken({ sub: 'root', role: 'admin', secret, expiresIn: '5m' });
  const response = await get('/admin/report', `Bearer ${token}`);
  assert.is(response.status, 200);
  assert.equal(response.body, { by: 'root' });
});

test('no Authorization header → 401 problem with a bare Bearer challenge', async () => {
  const response = await get('/my/orders');
  assert.is(response.status, 401);
  assert.is(response.contentType, 'application/problem+json; charset=utf-8');
  assert.is(response.challenge, 'Bearer');
  assert.is(response.body.reason, 'missing_token');
  assert.is(response.body.status, 401);
  assert.is(response.body.instance, '/my/orders');
});

test('an expired token → 401 expired_token', async () => {
  const hourAgo = Math.floor(Date.now() / 1000) - 3600;
  const token = await mintToken({ sub: 'alice', role: 'customer', secret, issuedAt: hourAgo, expiresIn: 60 });
  const response = await get('/my/orders', `Bearer ${token}`);
  assert.is(response.status, 401);
  assert.is(response.body.reason, 'expired_token');
  assert.is(response.body.detail, 'The token has expired');
  assert.ok(response.challenge?.startsWith('Bearer error="invalid_token"'));
});

test('a token signed with another secret → 401 invalid_token', async () => {
  const token = await mintToken({ sub: 'mallory', role: 'admin', secret: otherSecret });
  const response = await get('/admin/report', `Bearer ${token}`);
  assert.is(response.status, 401);
  assert.is(response.body.reason, 'invalid_token');
});

test('a header that is not "Bearer <token>" → 401 malformed_header', async () => {
  const response = await get('/my/orders', 'Basic YWxpY2U6c2VjcmV0');
  assert.is(response.status, 401);
  assert.is(response.body.reason, 'malformed_header');
  assert.ok(response.challenge?.startsWith('Bearer error="invalid_request"'));
});

test('a valid token with the wrong role → 403, not 401', async () => {
  const token = await mintToken({ sub: 'alice', role: 'customer', secret });
  const response = await get('/admin/report', `Bearer ${token}`);
  assert.is(response.status, 403);
  assert.is(response.body.title, 'Forbidden');
  assert.is(response.body.detail, 'This needs the role admin; your token has the role customer');
});

test('verifyBearer: an unknown role in an otherwise valid token grants nothing (no_role), and a role route answers 403', async () => {
  const { SignJWT } = await import('jose');
  const token = await new SignJWT({ role: 'superuser' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('eve')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
  const result = await verifyBearer(`Bearer ${token}`, secret);
  assert.equal(result, {
    ok: false,
    reason: 'no_role',
    detail: "The token grants none of the shop's roles (customer, admin) in its role claim",
  });
  assert.is((await get('/my/orders', `Bearer ${token}`)).status, 403);
});

test('HS256 tokens pass the same claim checks: exp required, iat not in the future, lifetime at most the maximum', async () => {
  const { SignJWT } = await import('jose');
  const key = new TextEncoder().encode(secret);
  const now = Math.floor(Date.now() / 1000);
  const noExp = await new SignJWT({ role: 'customer' }).setProtectedHeader({ alg: 'HS256' }).setSubject('eve').setIssuedAt().sign(key);
  assert.is((await get('/my/orders', `Bearer ${noExp}`)).status, 401);
  const future = await mintToken({ sub: 'eve', role: 'customer', secret, issuedAt: now + 600, expiresIn: 60 });
  const response = await get('/my/orders', `Bearer ${future}`);
  assert.equal([response.status, response.body.detail], [401, 'The token claims to be issued in the future (iat)']);
  // The default maximum is a day; a verifier may allow longer (npm start's week-long tokens).
  const week = await mintToken({ sub: 'eve', role: 'customer', secret, expiresIn: '7d' });
  assert.match(String((await get('/my/orders', `Bearer ${week}`)).body.detail), /lifetime/);
  assert.is((await sharedSecretVerifier({ secret, maxLifetimeSeconds: 7 * 86_400 }).verify(week)).ok, true);
  assert.is((await get('/my/orders', `Bearer ${await mintToken({ sub: 'eve', role: 'customer', secret, expiresIn: '24h' })}`)).status, 200);
});

const subjectRule = "The token's subject (sub) must be 1 to 200 printable characters";

test('verifyBearer: a subject with U+0000, a lone surrogate, a newline, an ESC or a bidi override is invalid', async () => {
  for (const sub of ['eve\u0000', 'eve\ud800', 'eve\nadmin', 'eve\u001b[31m', 'eve\r', 'eve\u007f', 'eve\u202e', 'eve\u2028']) {
    const token = await mintToken({ sub, role: 'customer', secret });
    const result = await verifyBearer(`Bearer ${token}`, secret);
    assert.equal(result, { ok: false, reason: 'invalid_token', detail: subjectRule }, JSON.stringify(sub));
  }
  assert.is((await verifyBearer(`Bearer ${await mintToken({ sub: 'éve 💥', role: 'customer', secret })}`, secret)).ok, true);
});

test('verifyBearer: a subject of 200 characters is accepted, of 201 refused (code points, not UTF-16 units)', async () => {
  const verify = async (sub: string) => verifyBearer(`Bearer ${await mintToken({ sub, role: 'customer', secret })}`, secret);
  assert.is((await verify('a'.repeat(200))).ok, true);
  assert.equal(await verify('a'.repeat(201)), { ok: false, reason: 'invalid_token', detail: subjectRule });
  assert.is((await verify('💥'.repeat(200))).ok, true, '200 emoji are 200 characters');
});

test('a newline, an ESC or 201 characters in sub → 401 problem naming the rule', async () => {
  for (const sub of ['alice\nrole=admin', 'alice\u001b]0;pwned\u0007', 'b'.repeat(201)]) {
    const token = await mintToken({ sub, role: 'customer', secret });
    const response = await get('/my/orders', `Bearer ${token}`);
    assert.is(response.status, 401, JSON.stringify(sub));
    assert.is(response.contentType, 'application/problem+json; charset=utf-8');
    assert.is(response.body.reason, 'invalid_token');
    assert.is(response.body.detail, subjectRule);
  }
});

test('verifyBearer: a token with alg "none" is refused', async () => {
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ sub: 'eve', role: 'admin', exp: Math.floor(Date.now() / 1000) + 3600 })).toString(
    'base64url',
  );
  const result = await verifyBearer(`Bearer ${header}.${payload}.`, secret);
  assert.is(result.ok, false);
});

test.run();
