import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readToken, timeLeft } from './jwt';

const base64Url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const token = (payload: unknown) => `${base64Url('{"alg":"HS256","typ":"JWT"}')}.${base64Url(JSON.stringify(payload))}.c2lnbmF0dXJl`;

test('reads who, which role and until when', () => {
  assert.equal(readToken(token({ sub: 'alice', role: 'customer', exp: 1_800_000_000 })), {
    ok: true,
    claims: { sub: 'alice', role: 'customer', expiresAt: new Date(1_800_000_000_000) },
  });
});

test('a token without exp never expires', () => {
  const read = readToken(token({ sub: 'ada', role: 'admin' }));
  assert.ok(read.ok);
  if (read.ok) {
    assert.is(read.claims.expiresAt, null);
    assert.is(timeLeft(read.claims, new Date()), Number.POSITIVE_INFINITY);
  }
});

test('names in any script survive base64url (UTF-8)', () => {
  const read = readToken(token({ sub: 'Zoë ✓ 李', role: 'customer', exp: 1 }));
  assert.ok(read.ok && read.claims.sub === 'Zoë ✓ 李');
});

test('time left is negative once expired', () => {
  const read = readToken(token({ sub: 'a', role: 'customer', exp: 100 }));
  assert.ok(read.ok);
  if (read.ok) {
    assert.is(timeLeft(read.claims, new Date(90_000)), 10_000);
    assert.is(timeLeft(read.claims, new Date(110_000)), -10_000);
  }
});

test("an identity provider's token: the role from its roles list, at the configured claim (admin wins)", () => {
  const roleOf = (payload: unknown, claim?: string) => {
    const read = readToken(token({ sub: 'kc-user', exp: 1_800_000_000, ...(payload as object) }), claim);
    return read.ok ? read.claims.role : read.message;
  };
  assert.is(roleOf({ roles: ['offline_access', 'customer'] }), 'customer');
  assert.is(roleOf({ realm_access: { roles: ['customer', 'admin'] } }, 'realm_access.roles'), 'admin');
  assert.match(roleOf({ realm_access: { roles: ['admin'] } }), /no role/);
  assert.match(roleOf({ roles: ['uma_authorization'] }), /no role/);
});

test('refuses what is not a usable token, saying why', () => {
  const message = (value: string) => {
    const read = readToken(value);
    return read.ok ? 'accepted' : read.message;
  };
  assert.match(message('hello'), /three parts/);
  assert.match(message('a..c'), /three parts/);
  assert.match(message(`x.${base64Url('not json')}.y`), /not JSON/);
  assert.match(message(`x.${base64Url('"text"')}.y`), /not an object/);
  assert.match(message(token({ role: 'admin' })), /no user/);
  assert.match(message(token({ sub: 'a', role: 'root' })), /no role/);
  assert.match(message(token({ sub: 'a', role: 'admin', exp: 'soon' })), /expiry/);
});

test.run();
