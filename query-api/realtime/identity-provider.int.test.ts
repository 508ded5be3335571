/**
 * The query API verifying an identity provider's tokens (a local one: platform/testing/identity-provider.ts),
 * over real HTTP and at the socket.io handshake and in-band refresh: the same verifier decides both.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { oidcVerifier } from '../../platform/auth';
import { startTestIdentityProvider, type TestIdentityProvider } from '../../platform/testing/identity-provider';
import { startQueryApi, type RunningQueryApi } from '../testing/fixture';
import { connectClient } from '../testing/socket-client';

let provider: TestIdentityProvider;
let api: RunningQueryApi;

test.before(async () => {
  provider = await startTestIdentityProvider({ audience: 'checkout-apis', rolesClaim: 'realm_access.roles' });
  api = await startQueryApi({
    tokens: oidcVerifier({
      issuer: provider.issuer,
      audience: ['checkout-apis'],
      rolesClaim: 'realm_access.roles',
      maxLifetimeSeconds: 3600,
    }),
  });
});
test.after(async () => {
  await api?.close();
  await provider?.stop();
});

const now = () => Math.floor(Date.now() / 1000);

async function handshake(token: string): Promise<string> {
  try {
    const client = await connectClient(api.baseUrl, { token });
    client.close();
    return 'accepted';
  } catch (error) {
    return (error as { data?: { reason?: string } }).data?.reason ?? String(error);
  }
}

test("HTTP: the provider's RS256 and ES256 tokens are accepted, a shared-secret token and a wrong audience are not", async () => {
  const es = provider.keys.find((key) => key.alg === 'ES256')!;
  assert.is((await api.get('/orders', { token: await provider.issue({ sub: 'alice', roles: ['customer'] }) })).status, 200);
  const admin = await provider.issue({ sub: 'ops', roles: ['admin'], key: es });
  assert.is((await api.get('/stats/sales', { token: admin })).status, 200);
  assert.is((await api.get('/stats/sales', { token: await provider.issue({ sub: 'alice', roles: ['customer'] }) })).status, 403);
  assert.is((await api.get('/orders', { token: await api.token('alice') })).status, 401, 'an HS256 token of the test secret');
  assert.is(
    (await api.get('/orders', { token: await provider.issue({ sub: 'alice', roles: ['customer'], aud: 'elsewhere' }) })).status,
    401,
  );
  assert.is(
    (await api.get('/orders', { token: await provider.issue({ sub: 'alice', roles: ['customer'], iat: now() + 600, exp: now() + 900 }) }))
      .status,
    401,
  );
  assert.is(
    (await api.get('/orders', { token: await provider.issue({ sub: 'alice', roles: ['customer'], exp: now() + 7200 }) })).status,
    401,
    'lifetime over an hour',
  );
  assert.is((await api.get('/orders', { token: await provider.issue({ sub: 'visitor', roles: ['default-roles-checkout'] }) })).status, 403);
});

test('socket handshake: accepted for a good token; refused for wrong iss, future iat, too long a lifetime, no role', async () => {
  assert.is(await handshake(await provider.issue({ sub: 'alice', roles: ['customer'] })), 'accepted');
  assert.is(await handshake(await provider.issue({ sub: 'alice', roles: ['customer'], iss: 'https://evil.example.com' })), 'invalid_token');
  assert.is(
    await handshake(await provider.issue({ sub: 'alice', roles: ['customer'], iat: now() + 600, exp: now() + 900 })),
    'invalid_token',
  );
  assert.is(await handshake(await provider.issue({ sub: 'alice', roles: ['customer'], exp: now() + 7200 })), 'invalid_token');
  assert.is(await handshake(await provider.issue({ sub: 'visitor', roles: [] })), 'no_role');
});

test('refresh-token on an open socket: a fresh token of the same user is taken, another issuer refused', async () => {
  const client = await connectClient(api.baseUrl, { token: await provider.issue({ sub: 'bea', roles: ['customer'], exp: now() + 60 }) });
  try {
    const refresh = (token: string) =>
      client.socket.timeout(5000).emitWithAck('refresh-token', { token }) as Promise<{ ok: boolean; error?: string }>;
    assert.is((await refresh(await provider.issue({ sub: 'bea', roles: ['customer'], exp: now() + 600 }))).ok, true);
    assert.equal(
      await refresh(await provider.issue({ sub: 'bea', roles: ['customer'], iss: 'https://evil.example.com' })).then(
        (answer) => answer.error,
      ),
      'invalid_token',
    );
  } finally {
    client.close();
  }
});

test.run();
