/**
 * The HTTP payment provider against the real sandbox over HTTP: business answers come back as
 * answers, a repeated idempotency key gets the first answer, and everything that is not an
 * answer (503, no answer in time, an aborted call, nobody listening) is a TransientPaymentError.
 */
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejectionOf } from '../../platform/testing/rejection';
import { createPaymentSandbox, type PaymentSandbox } from '../payment-sandbox/server';
import { TEST_SANDBOX_KEY as key } from '../testing/saga-process';
import { httpPaymentProvider, type HttpPaymentProvider } from './http-provider';
import { TransientPaymentError } from './port';

let sandbox: PaymentSandbox;
let baseUrl: string;
let provider: HttpPaymentProvider;
const amount = { amount: 1250, currency: 'EUR' };

test.before(async () => {
  sandbox = createPaymentSandbox({ key });
  await sandbox.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(sandbox.app.server.address() as AddressInfo).port}`;
  provider = httpPaymentProvider({ baseUrl, key, timeoutMs: 300 });
});
test.after(async () => {
  await provider.close();
  await sandbox.app.close();
});

test('authorize, capture, refund; the same key answers the same authorization', async () => {
  const first = await provider.authorize({ idempotencyKey: 'o1/authorize', token: 'tok_ok', amount });
  assert.is(first.result, 'approved');
  assert.equal(await provider.authorize({ idempotencyKey: 'o1/authorize', token: 'tok_ok', amount }), first);
  assert.equal(await provider.capture({ authorizationKey: 'o1/authorize', idempotencyKey: 'o1/capture' }), { result: 'captured' });
  const refund = await provider.refund({ authorizationKey: 'o1/authorize', idempotencyKey: 'o1/refund' });
  assert.equal(refund, { result: 'refunded', authorizationId: (first as { authorizationId: string }).authorizationId });
});

test('a decline (402) and a refused capture (409) are answers, not errors', async () => {
  assert.equal(await provider.authorize({ idempotencyKey: 'o2/authorize', token: 'tok_decline', amount }), {
    result: 'declined',
    reason: 'card_declined',
  });
  assert.equal(await provider.capture({ authorizationKey: 'o2/authorize', idempotencyKey: 'o2/capture' }), {
    result: 'refused',
    reason: 'declined',
  });
  assert.equal(await provider.void({ authorizationKey: 'never-asked', idempotencyKey: 'o3/void' }), { result: 'nothing_to_void' });
});

test('503 is transient: tok_flaky fails twice, then approves under the same key', async () => {
  for (let attempt = 1; attempt <= 2; attempt++) {
    const error = await rejectionOf(provider.authorize({ idempotencyKey: 'o4/authorize', token: 'tok_flaky', amount }));
    assert.instance(error, TransientPaymentError);
    assert.match((error as Error).message, /answered 503/);
  }
  assert.is((await provider.authorize({ idempotencyKey: 'o4/authorize', token: 'tok_flaky', amount })).result, 'approved');
});

test('no answer within the timeout is transient, and so is an aborted call; the provider still works after', async () => {
  const started = performance.now();
  const timedOut = await rejectionOf(provider.authorize({ idempotencyKey: 'o5/authorize', token: 'tok_timeout', amount }));
  const waited = performance.now() - started;
  assert.instance(timedOut, TransientPaymentError);
  assert.ok(waited >= 250 && waited < 3000, `gave up after ${waited.toFixed(0)} ms with a 300 ms timeout`);

  const controller = new AbortController();
  const call = provider.authorize({ idempotencyKey: 'o6/authorize', token: 'tok_timeout', amount }, controller.signal);
  setTimeout(() => controller.abort(new Error('the payment deadline fired')), 20);
  assert.instance(await rejectionOf(call), TransientPaymentError);
  // The sandbox remembered the hanging authorization: the saga voids it.
  assert.is((await provider.void({ authorizationKey: 'o6/authorize', idempotencyKey: 'o6/void' })).result, 'voided');
});

test('a provider nobody listens on is transient; a 4xx it does not expect is not', async () => {
  const closed = createPaymentSandbox({ key });
  await closed.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (closed.app.server.address() as AddressInfo).port;
  await closed.app.close();
  const nowhere = httpPaymentProvider({ baseUrl: `http://127.0.0.1:${port}`, key, timeoutMs: 300 });
  try {
    assert.instance(
      await rejectionOf(nowhere.authorize({ idempotencyKey: 'o7/authorize', token: 'tok_ok', amount })),
      TransientPaymentError,
    );
  } finally {
    await nowhere.close();
  }
  const empty = await rejectionOf(provider.authorize({ idempotencyKey: '', token: 'tok_ok', amount }));
  assert.not.instance(empty, TransientPaymentError);
  assert.match((empty as Error).message, /answered 400/);
});

test('the sandbox wants its key: without it 401, with another key 401, and a provider with a wrong key fails (not transient)', async () => {
  const answer = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${baseUrl}${path}`, init);
    return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
  };
  const authorizations = sandbox.calls.authorize;
  const attempts: Record<string, string>[] = [
    {},
    { authorization: 'Bearer not-the-key' },
    { 'x-sandbox-key': `${key}x` },
    { authorization: key },
  ];
  for (const headers of attempts) {
    const listing = await answer('/v1/authorizations', { headers });
    assert.is(listing.status, 401, JSON.stringify(headers));
    assert.is(listing.contentType, 'application/problem+json; charset=utf-8');
    assert.not.match(listing.body, /tok_/, 'no card token leaks in the refusal');
    assert.is((await answer('/v1/authorizations/o1%2Fauthorize', { headers })).status, 401);
    const refund = await answer('/v1/authorizations/o1%2Fauthorize/refund', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': 'sneaky/refund' },
      body: '{}',
    });
    assert.is(refund.status, 401);
    const authorize = await answer('/v1/authorizations', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': 'sneaky/authorize' },
      body: JSON.stringify({ token: 'tok_ok', amount: 1, currency: 'EUR' }),
    });
    assert.is(authorize.status, 401);
  }
  assert.is(sandbox.calls.authorize, authorizations, 'a refused call never reached the sandbox');
  assert.is(sandbox.authorizations.has('sneaky/authorize'), false);
  assert.is((await answer('/health')).status, 200, '/health needs no key');
  // With the key, by either header.
  assert.is((await answer('/v1/authorizations', { headers: { authorization: `Bearer ${key}` } })).status, 200);
  assert.is((await answer('/v1/authorizations', { headers: { 'x-sandbox-key': key } })).status, 200);

  const wrongKey = httpPaymentProvider({ baseUrl, key: 'w'.repeat(40), timeoutMs: 300 });
  try {
    const refused = await rejectionOf(wrongKey.authorize({ idempotencyKey: 'o8/authorize', token: 'tok_ok', amount }));
    assert.not.instance(refused, TransientPaymentError);
    assert.match((refused as Error).message, /answered 401/);
  } finally {
    await wrongKey.close();
  }
});

test.run();
