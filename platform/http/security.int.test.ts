/**
 * What every answer of every service carries for a browser's safety, what is answered when
 * fastify or Node refuse a request, the rate limits, and /metrics off the public port: against a
 * real server over real HTTP (and Chromium for the Swagger UI's policy).
 */
import { request as httpRequest } from 'node:http';
import { chromium } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { mintToken, principalOf, registerAuth } from '../auth';
import { createLogger } from '../logger';
import { perUserLimit } from './rate-limits';
import { createHttpServer, type HttpServer } from './server';
import { freePort, listenOnEphemeralPort } from '../testing/ports';

const secret = 'security-test-secret-0123456789abcdef';
const logger = createLogger({ service: 'security-test', level: 'silent' });
let app: HttpServer;
let baseUrl: string;

test.before(async () => {
  app = await createHttpServer({ logger, bodyLimit: 1024, docs: { title: 'Security test API' } });
  registerAuth(app, { secret, failuresPerMinute: 3 });
  const perUser = perUserLimit(app, 2);
  app.get('/me', { preHandler: app.requireRole('customer', 'admin') }, async (request) => ({ sub: principalOf(request).sub }));
  app.get('/public', async () => ({ open: true }));
  app.post(
    '/commands',
    { preHandler: [app.requireRole('customer'), perUser], schema: { body: z.object({ n: z.number() }) } },
    async (request, reply) => reply.code(201).send({ by: principalOf(request).sub }),
  );
  baseUrl = await listenOnEphemeralPort(app);
});

test.after(async () => {
  await app.close();
});

async function call(path: string, init: RequestInit = {}) {
  const response = await fetch(`${baseUrl}${path}`, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

const token = (sub: string) => mintToken({ sub, role: 'customer', secret });

test('every answer: nosniff, a CSP that allows nothing, no framing; no-store only when the request carried Authorization', async () => {
  const open = await call('/public');
  assert.is(open.status, 200);
  assert.is(open.headers.get('x-content-type-options'), 'nosniff');
  assert.is(open.headers.get('content-security-policy'), "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'");
  assert.is(open.headers.get('x-frame-options'), 'SAMEORIGIN');
  assert.is(open.headers.get('referrer-policy'), 'no-referrer');
  assert.is(open.headers.get('cache-control'), null, 'a public answer may be cached');

  const mine = await call('/me', { headers: { authorization: `Bearer ${await token('alice')}` } });
  assert.is(mine.status, 200);
  assert.is(mine.headers.get('cache-control'), 'no-store');
  assert.is(mine.headers.get('x-content-type-options'), 'nosniff');

  const refused = await call('/me', { headers: { authorization: 'Bearer nope' } });
  assert.is(refused.status, 401);
  assert.is(refused.headers.get('cache-control'), 'no-store');
  assert.is(refused.headers.get('x-content-type-options'), 'nosniff');

  // A URL the router cannot decode skips the onRequest hooks: the headers are there all the same.
  const undecodable = await call('/me/%E0%A4%A', { headers: { authorization: 'Bearer x' } });
  assert.is(undecodable.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.is(undecodable.headers.get('x-content-type-options'), 'nosniff');
  assert.is(undecodable.headers.get('cache-control'), 'no-store');
});

test("fastify's own refusals are problem+json: bad JSON 400, body too large 413, unsupported type 415", async () => {
  const authorization = `Bearer ${await token('bob')}`;
  const cases = [
    { status: 400, init: { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: '{"n": 1,' } },
    {
      status: 413,
      init: {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ n: 1, pad: 'x'.repeat(2048) }),
      },
    },
    { status: 415, init: { method: 'POST', headers: { authorization, 'content-type': 'application/xml' }, body: '<n>1</n>' } },
  ];
  for (const { status, init } of cases) {
    const answer = await call('/commands', init);
    assert.is(answer.status, status, answer.text);
    assert.is(answer.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.is(answer.body?.status, status);
    assert.type(answer.body?.detail, 'string');
    assert.is(answer.headers.get('x-content-type-options'), 'nosniff');
  }
});

test("headers too large: Node's parser refuses them before fastify, and the 431 is problem+json too", async () => {
  const { port } = new URL(baseUrl);
  const answer = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port: Number(port), path: '/public', headers: { 'x-filler': 'y'.repeat(20_000) } },
      (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
  assert.is(answer.status, 431);
  assert.is(answer.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.is(answer.headers['x-content-type-options'], 'nosniff');
  const problem = JSON.parse(answer.body) as Record<string, unknown>;
  assert.equal(
    { ...problem, detail: typeof problem.detail },
    { type: 'about:blank', title: 'Request Header Fields Too Large', status: 431, detail: 'string' },
  );
});

test('refused tokens from one address: 401 up to the limit, then 429 with Retry-After; a missing token is not counted', async () => {
  for (let i = 0; i < 5; i++) assert.is((await call('/me')).status, 401, 'no token at all is never limited');
  const statuses: number[] = [];
  let limited: Awaited<ReturnType<typeof call>> | undefined;
  for (let i = 0; i < 5; i++) {
    const answer = await call('/me', { headers: { authorization: `Bearer forged.token.${i}` } });
    statuses.push(answer.status);
    if (answer.status === 429) limited ??= answer;
  }
  // The earlier test refused one token from this address too (the limit is 3 a minute).
  assert.ok(
    statuses.slice(0, 2).every((status) => status === 401),
    JSON.stringify(statuses),
  );
  assert.ok(
    statuses.slice(3).every((status) => status === 429),
    JSON.stringify(statuses),
  );
  assert.ok(limited);
  const retryAfter = Number(limited.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers.get('retry-after')}`);
  assert.is(limited.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.is(limited.body?.type, 'urn:checkout:problem:rate-limited');
  assert.is(limited.body?.status, 429);
  // A valid token from the same address still gets through: only failures are limited.
  assert.is((await call('/me', { headers: { authorization: `Bearer ${await token('carol')}` } })).status, 200);
});

test('commands per user: past the limit 429 with Retry-After for that user only', async () => {
  const post = async (sub: string) =>
    call('/commands', {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(sub)}`, 'content-type': 'application/json' },
      body: '{"n":1}',
    });
  assert.is((await post('dave')).status, 201);
  assert.is((await post('dave')).status, 201);
  const third = await post('dave');
  assert.is(third.status, 429);
  assert.ok(Number(third.headers.get('retry-after')) >= 1);
  assert.is(third.body?.type, 'urn:checkout:problem:rate-limited');
  assert.match(String(third.body?.detail), /More than 2 commands a minute/);
  assert.is((await post('erin')).status, 201, 'another user is not limited by dave');
});

test('with a metrics listener, /metrics is served there (on the ops host) and not on the public port', async () => {
  const port = await freePort();
  const withListener = await createHttpServer({ logger, metricsListener: { port, host: '127.0.0.1' } });
  const publicUrl = await listenOnEphemeralPort(withListener);
  try {
    const onPublic = await fetch(`${publicUrl}/metrics`);
    assert.is(onPublic.status, 404);
    assert.is(onPublic.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    await fetch(`${publicUrl}/health`);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.is(metrics.status, 200);
    assert.match(await metrics.text(), /http_requests_total\{[^}]*route="\/health"/);
    assert.is((await fetch(`http://127.0.0.1:${port}/health`)).status, 404, 'only /metrics there');
  } finally {
    await withListener.close();
  }
  // Closed with the server.
  const after = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    () => 'answered',
    () => 'refused',
  );
  assert.is(after, 'refused');
});

test('the Swagger UI at /docs renders under its own strict CSP, with no violation', async () => {
  const page = await call('/docs/');
  assert.is(page.status, 200);
  const policy = page.headers.get('content-security-policy') ?? '';
  assert.match(policy, /default-src 'none'/);
  assert.match(policy, /script-src 'self'(;|$)/, 'no inline or remote script');
  assert.match(policy, /frame-ancestors 'none'/);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const tab = await browser.newPage();
    const violations: string[] = [];
    tab.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    await tab.goto(`${baseUrl}/docs/`);
    await tab.locator('.swagger-ui .info .title').filter({ hasText: 'Security test API' }).waitFor({ timeout: 30_000 });
    await tab.locator('.opblock-summary-path').filter({ hasText: '/commands' }).first().waitFor({ timeout: 10_000 });
    assert.equal(violations, []);
  } finally {
    await browser.close();
  }
});

test.run();
