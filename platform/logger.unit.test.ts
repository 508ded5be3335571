import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCapturingLogger } from './testing/capturing-logger';
import { createHttpServer } from './http/server';
import { withCausation } from './logger';

test('a causation child logger puts the correlation and causation ids on every line', () => {
  const { logger, lines } = createCapturingLogger();
  withCausation(logger, { correlationId: 'corr-7', causationId: 'evt-3' }).info({ orderId: 'o-1' }, 'reserving stock');
  withCausation(logger, { correlationId: 'corr-8' }).warn('no causation yet');
  assert.equal(
    lines.map(({ service, level, correlationId, causationId, orderId, msg }) => ({
      service,
      level,
      correlationId,
      causationId,
      orderId,
      msg,
    })),
    [
      { service: 'test', level: 30, correlationId: 'corr-7', causationId: 'evt-3', orderId: 'o-1', msg: 'reserving stock' },
      { service: 'test', level: 40, correlationId: 'corr-8', causationId: undefined, orderId: undefined, msg: 'no causation yet' },
    ],
  );
  assert.type(lines[0]?.time, 'string');
});

test('authorization headers never reach the log', () => {
  const { logger, lines } = createCapturingLogger();
  logger.info({ headers: { authorization: 'Bearer secret-token', accept: 'application/json' } }, 'outgoing');
  logger.info({ req: { method: 'GET', url: '/orders', headers: { authorization: 'Bearer secret-token' } } }, 'incoming');
  assert.equal(lines[0]?.headers, { authorization: '[redacted]', accept: 'application/json' });
  assert.equal(lines[1]?.req, { method: 'GET', url: '/orders' }, 'a request is logged without its headers');
  assert.not.match(JSON.stringify(lines), /secret-token/);
});

test("a request's query string is redacted: it may carry a token or a customer's search", () => {
  const { logger, lines } = createCapturingLogger();
  logger.info({ req: { method: 'GET', url: '/socket.io/?EIO=4&transport=polling&token=eyJ.secret.sig' } }, 'incoming request');
  logger.info({ req: { method: 'GET', url: '/orders' } }, 'incoming request');
  assert.equal(
    lines.map((line) => (line.req as { url: string }).url),
    ['/socket.io/?[redacted]', '/orders'],
  );
});

test('token=, access_token= and bearer tokens are cut out of any line, in messages and in errors too', () => {
  const { logger, lines } = createCapturingLogger();
  logger.warn({ upstream: 'http://x/cb?code=1&access_token=AT-123&state=s' }, 'redirect');
  logger.error({ err: new Error('GET /p?token=TK-456 failed with Authorization: Bearer eyJhbGciOi.payload.sig') }, 'call failed');
  logger.info('retrying with token=TK-789');
  const text = JSON.stringify(lines);
  for (const secret of ['AT-123', 'TK-456', 'TK-789', 'eyJhbGciOi']) assert.not.match(text, secret);
  assert.is(lines[0]?.upstream, 'http://x/cb?code=1&access_token=[redacted]&state=s');
  assert.is(lines[2]?.msg, 'retrying with token=[redacted]');
  assert.match(String((lines[1]?.err as { message: string }).message), /token=\[redacted\] failed with Authorization: Bearer \[redacted\]/);
});

test('a real fastify request line: no query string, no Authorization', async () => {
  const { logger, lines } = createCapturingLogger();
  const app = await createHttpServer({ logger });
  app.get('/search', async () => ({ ok: true }));
  try {
    const response = await app.inject({
      method: 'GET',
      url: '/search?q=alice%40example.com&access_token=AT-999',
      headers: { authorization: 'Bearer eyJsecret.x.y' },
    });
    assert.is(response.statusCode, 200);
  } finally {
    await app.close();
  }
  const incoming = lines.find((line) => line.msg === 'incoming request');
  assert.equal((incoming?.req as { url: string }).url, '/search?[redacted]');
  const text = JSON.stringify(lines);
  for (const secret of ['AT-999', 'alice', 'eyJsecret']) assert.not.match(text, secret);
});

test('the level filters lines', () => {
  const { logger, lines } = createCapturingLogger('warn');
  logger.info('hidden');
  logger.error('shown');
  assert.equal(
    lines.map((line) => line.msg),
    ['shown'],
  );
});

test.run();
