/**
 * Sockets live no longer than their token: cut at `exp` with `token-expired`, or kept alive by a
 * fresh token of the same user handed over in-band (`refresh-token`). And refused handshakes are
 * limited per address. Real query API, real socket.io client, real NATS and Postgres.
 */
import { decodeJwt } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../../platform/testing/eventually';
import { mintToken } from '../../platform/auth';
import { insertNotification, publishNotification, startQueryApi, TEST_JWT_SECRET, type RunningQueryApi } from '../testing/fixture';
import type { RefreshAnswer, TokenExpired } from './gateway';
import { connectClient, type TestClient } from '../testing/socket-client';

let api: RunningQueryApi;
const open: TestClient[] = [];

test.before(async () => {
  api = await startQueryApi();
});
test.after(async () => {
  for (const client of open) client.close();
  await api.close();
});

const shortToken = (sub: string, seconds: number, role: 'customer' | 'admin' = 'customer') =>
  mintToken({ sub, role, secret: TEST_JWT_SECRET, expiresIn: seconds });
const expiryOf = (token: string) => decodeJwt(token).exp! * 1000;

async function connect(token: string): Promise<TestClient & { expired: TokenExpired[]; disconnected: Promise<string> }> {
  const client = await connectClient(api.baseUrl, { token });
  open.push(client);
  const expired: TokenExpired[] = [];
  client.socket.on('token-expired', (event: TokenExpired) => expired.push(event));
  const disconnected = new Promise<string>((resolve) => client.socket.once('disconnect', (reason) => resolve(reason)));
  return Object.assign(client, { expired, disconnected });
}

function refresh(client: TestClient, payload: unknown): Promise<RefreshAnswer> {
  return client.socket.timeout(5000).emitWithAck('refresh-token', payload) as Promise<RefreshAnswer>;
}

let position = 100n;
async function notify(userId: string) {
  const notification = await insertNotification(api.knex, { userId, position: position++ });
  await publishNotification(api.nats, api.subjectPrefix, notification);
  return notification;
}

// Tokens of 8 s: `exp` is whole seconds, so up to one is lost, and a busy machine must still have
// time to connect and deliver before the expiry the test is about.
test('a socket whose token expires in seconds is told token-expired, disconnected, and receives nothing after', async () => {
  const token = await shortToken('tess', 8);
  const tess = await connect(token);
  const witness = await connect(await api.token('tess'));
  const before = await notify('tess');
  assert.equal(await tess.waitFor(1), [before], 'it receives while its token is valid');

  const reason = await Promise.race([
    tess.disconnected,
    new Promise<string>((_, reject) =>
      setTimeout(() => reject(new Error('not disconnected 15 s after expiry')), expiryOf(token) - Date.now() + 15_000),
    ),
  ]);
  assert.is(reason, 'io server disconnect', 'the client sees a server disconnect: it does not reconnect by itself with the stale token');
  assert.ok(Date.now() >= expiryOf(token), 'not cut before its exp');
  assert.is(tess.expired.length, 1);
  assert.equal(
    { ...tess.expired[0]!, detail: typeof tess.expired[0]!.detail },
    { reason: 'expired_token', detail: 'string', expiredAt: new Date(expiryOf(token)).toISOString() },
  );

  // Published after the expiry: the witness (same user, long token) gets it; the cut socket does not.
  const after = await notify('tess');
  await witness.waitFor(2);
  assert.equal(witness.received, [before, after]);
  assert.equal(tess.received, [before]);
});

test('a socket refreshed in-band before expiry keeps its rooms and goes on receiving past the first token’s exp', async () => {
  const first = await shortToken('uma', 8);
  const uma = await connect(first);
  const fresh = await shortToken('uma', 120);
  const answer = await refresh(uma, { token: fresh });
  assert.equal(answer, { ok: true, expiresAt: new Date(expiryOf(fresh)).toISOString() });

  await eventually('the first token to be well expired', () => Date.now() > expiryOf(first) + 1500);
  assert.ok(uma.socket.connected, 'still connected after the first token expired');
  const later = await notify('uma');
  assert.equal(await uma.waitFor(1, 5000), [later]);
  assert.equal(uma.expired, []);
});

test('refresh with another user’s token, another role, an expired or a forged one is refused; the socket keeps its own expiry', async () => {
  const first = await shortToken('vic', 8);
  const vic = await connect(first);
  const refusals = [
    { payload: { token: await api.token('walt') }, error: 'other_user' },
    { payload: { token: await api.token('vic', 'admin') }, error: 'other_user' },
    {
      payload: {
        token: await mintToken({
          sub: 'vic',
          role: 'customer',
          secret: TEST_JWT_SECRET,
          issuedAt: Math.floor(Date.now() / 1000) - 3600,
          expiresIn: 60,
        }),
      },
      error: 'expired_token',
    },
    {
      payload: { token: await mintToken({ sub: 'vic', role: 'customer', secret: 'not-this-deployments-secret-0123456789' }) },
      error: 'invalid_token',
    },
    { payload: { nothing: true }, error: 'invalid_request' },
    { payload: 'just a string', error: 'invalid_request' },
  ];
  for (const { payload, error } of refusals) {
    const answer = await refresh(vic, payload);
    assert.is(answer.ok, false, JSON.stringify(payload));
    assert.is((answer as { error: string }).error, error, JSON.stringify(payload));
    assert.type((answer as { detail: string }).detail, 'string');
  }
  // Walt's notification never reaches vic's socket, and vic's socket still ends with vic's first token.
  await notify('walt');
  const reason = await Promise.race([
    vic.disconnected,
    new Promise<string>((_, reject) => setTimeout(() => reject(new Error('not disconnected')), expiryOf(first) - Date.now() + 15_000)),
  ]);
  assert.is(reason, 'io server disconnect');
  assert.equal(vic.received, []);
  assert.is(vic.expired.length, 1);
});

test('refused handshakes from one address past the limit are refused too_many_failures with retryAfter', async () => {
  const limited = await startQueryApi({ settings: { authFailuresPerMinute: 3 } });
  try {
    const refusal = async (token: string) => {
      try {
        (await connectClient(limited.baseUrl, { token })).close();
        return { message: 'connected', data: undefined };
      } catch (error) {
        return error as Error & { data?: { reason: string; retryAfter?: number } };
      }
    };
    const reasons: string[] = [];
    for (let i = 0; i < 5; i++) reasons.push((await refusal(`forged.${i}.token`)).data?.reason ?? 'none');
    assert.equal(reasons, ['invalid_token', 'invalid_token', 'invalid_token', 'too_many_failures', 'too_many_failures']);
    const last = await refusal('forged.again.token');
    assert.ok(last.data?.retryAfter !== undefined && last.data.retryAfter >= 1 && last.data.retryAfter <= 60, JSON.stringify(last.data));
    // A valid token still connects: only failures are limited.
    const good = await connectClient(limited.baseUrl, { token: await limited.token('xena') });
    good.close();
  } finally {
    await limited.close();
  }
});

test.run();
