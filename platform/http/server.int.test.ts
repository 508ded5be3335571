import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { HttpProblem, problemDetailsSchema } from './problem';
import { createHttpServer, type HttpServer } from './server';
import { createCapturingLogger } from '../testing/capturing-logger';
import { listenOnEphemeralPort } from '../testing/ports';

const { logger, lines } = createCapturingLogger();
let app: HttpServer;
let baseUrl: string;
let postgresUp = true;

test.before(async () => {
  app = await createHttpServer({
    logger,
    docs: { title: 'Test API', version: '1.2.3' },
    readinessChecks: [
      { name: 'eventstore', check: async () => {} },
      {
        name: 'postgres',
        check: async () => {
          if (!postgresUp) throw new Error('connect ECONNREFUSED 10.0.0.7:5432 (password=hunter2)');
        },
      },
      { name: 'nats', check: () => new Promise(() => {}), timeoutMs: 50 },
    ],
  });
  app.post(
    '/stores/:storeId/orders',
    {
      schema: {
        summary: 'Place an order',
        params: z.object({ storeId: z.string().regex(/^s-\d+$/) }),
        querystring: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
        body: z.object({
          customerId: z.string().min(1),
          lines: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() })).min(1),
        }),
        response: { 201: z.object({ orderId: z.string(), lineCount: z.number() }), 400: problemDetailsSchema },
      },
    },
    async (request, reply) => reply.code(201).send({ orderId: `o-${request.params.storeId}`, lineCount: request.body.lines.length }),
  );
  app.get('/boom', async () => {
    throw new Error('database password is hunter2');
  });
  app.get('/not-yet', async () => {
    throw new HttpProblem({ status: 503, detail: 'The read models have not caught up', headers: { 'retry-after': '1' } });
  });
  app.get('/teapot', async () => {
    throw new HttpProblem({ status: 418, detail: 'I only brew tea', extensions: { brew: 'earl grey' } });
  });
  baseUrl = await listenOnEphemeralPort(app);
});

test.after(async () => {
  await app.close();
});

async function call(path: string, init: RequestInit = {}) {
  const response = await fetch(`${baseUrl}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

test('a valid request reaches the handler with parsed values', async () => {
  const response = await postJson('/stores/s-1/orders', { customerId: 'c1', lines: [{ sku: 'A', quantity: 2 }] });
  assert.is(response.status, 201);
  assert.equal(response.json(), { orderId: 'o-s-1', lineCount: 1 });
});

test('an invalid body → 400 problem+json listing each invalid field by path', async () => {
  const response = await postJson('/stores/s-1/orders', {
    customerId: '',
    lines: [
      { sku: 'A', quantity: 0 },
      { sku: 'B', quantity: 1.5 },
    ],
  });
  assert.is(response.status, 400);
  assert.is(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  const problem = response.json();
  assert.is(problem.type, 'urn:checkout:problem:validation');
  assert.is(problem.title, 'Your request is not valid');
  assert.is(problem.status, 400);
  assert.is(problem.instance, '/stores/s-1/orders');
  const errors = problem.errors as { in: string; path: string; message: string }[];
  assert.equal(
    errors.map(({ in: where, path }) => `${where} ${path}`),
    ['body /customerId', 'body /lines/0/quantity', 'body /lines/1/quantity'],
  );
  for (const error of errors) assert.type(error.message, 'string');
  assert.match(String(problem.detail), 'body/lines/0/quantity: ');
});

test('invalid params and querystring are reported with where they were', async () => {
  const badParams = await postJson('/stores/nope/orders', { customerId: 'c', lines: [{ sku: 'A', quantity: 1 }] });
  assert.is(badParams.status, 400);
  assert.equal(
    (badParams.json().errors as { in: string; path: string }[]).map((e) => [e.in, e.path]),
    [['params', '/storeId']],
  );

  const badQuery = await postJson('/stores/s-1/orders?dryRun=maybe', { customerId: 'c', lines: [{ sku: 'A', quantity: 1 }] });
  assert.is(badQuery.status, 400);
  assert.equal(
    (badQuery.json().errors as { in: string; path: string }[]).map((e) => [e.in, e.path]),
    [['querystring', '/dryRun']],
  );
});

test('malformed JSON → 400 problem+json', async () => {
  const response = await call('/stores/s-1/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"customerId":',
  });
  assert.is(response.status, 400);
  assert.is(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.is(response.json().title, 'Bad Request');
});

test('a body nested deeper than 32 levels → 400 problem+json before anything walks it; prototype poisoning still refused', async () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const deep = await call('/stores/s-1/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: nested(20_000) });
  assert.is(deep.status, 400);
  assert.is(deep.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.is(deep.json().detail, 'The body nests deeper than 32 levels');
  assert.is(
    (await call('/stores/s-1/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: nested(33) })).json().detail,
    'The body nests deeper than 32 levels',
  );
  // 32 levels parse, and validation answers as usual.
  assert.is(
    (await call('/stores/s-1/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: nested(32) })).json().type,
    'urn:checkout:problem:validation',
  );
  const poisoned = await call('/stores/s-1/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"customerId":"c1","__proto__":{"admin":true}}',
  });
  assert.is(poisoned.status, 400);
});

test('a URL the router cannot decode → 400 problem+json, not fastify’s own JSON', async () => {
  const response = await call('/stores/%/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.is(response.status, 400);
  assert.is(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal([response.json().status, response.json().title], [400, 'Bad Request']);
  assert.is(response.headers.get('x-correlation-id'), response.json().correlationId, 'the header, as on every answer');
});

test('a NUL in a path or query parameter → 400 naming each, before the route runs', async () => {
  const response = await postJson('/stores/s-1%00/orders?dryRun=true%00', { customerId: 'c1', lines: [{ sku: 'A', quantity: 2 }] });
  assert.is(response.status, 400);
  assert.is(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  const message = 'must not contain a NUL character (U+0000)';
  assert.equal(response.json().errors, [
    { in: 'params', path: '/storeId', message },
    { in: 'querystring', path: '/dryRun', message },
  ]);
});

test('a 503 problem is logged as a warning, a 500 as an error', async () => {
  const response = await call('/not-yet');
  assert.is(response.status, 503);
  assert.is(response.headers.get('retry-after'), '1');
  const line = lines.find((entry) => entry.correlationId === response.headers.get('x-correlation-id') && entry.err);
  assert.is(line?.level, 40);
});

test('an unknown route → 404 problem+json', async () => {
  const response = await call('/nowhere?token=secret');
  assert.is(response.status, 404);
  assert.is(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  const problem = response.json();
  assert.equal(
    { type: problem.type, title: problem.title, status: problem.status, detail: problem.detail, instance: problem.instance },
    { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No route matches GET /nowhere', instance: '/nowhere' },
  );
});

test('a thrown error → 500 problem that leaks nothing, while the log has the details', async () => {
  const response = await call('/boom', { headers: { 'x-correlation-id': 'boom-1' } });
  assert.is(response.status, 500);
  assert.is(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.not.match(response.text, 'hunter2');
  assert.not.match(response.text, 'server.int.test');
  assert.equal(response.json(), {
    type: 'about:blank',
    title: 'Internal Server Error',
    status: 500,
    detail: 'An unexpected error occurred. Quote the correlation id when reporting it.',
    instance: '/boom',
    correlationId: 'boom-1',
  });
  const logged = lines.find((line) => line.msg === 'unhandled error' && line.correlationId === 'boom-1');
  assert.ok(logged, 'the error is logged under its correlation id');
  assert.is((logged.err as { message: string }).message, 'database password is hunter2');
});

test('an HttpProblem thrown by a route is answered as-is with its extensions', async () => {
  const response = await call('/teapot');
  assert.is(response.status, 418);
  const problem = response.json();
  assert.is(problem.title, "I'm a Teapot");
  assert.is(problem.detail, 'I only brew tea');
  assert.is(problem.brew, 'earl grey');
});

test('the correlation id is echoed when given and generated when not', async () => {
  const given = await call('/health', { headers: { 'x-correlation-id': 'req-42' } });
  assert.is(given.headers.get('x-correlation-id'), 'req-42');

  const generated = await call('/health');
  assert.match(generated.headers.get('x-correlation-id') ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

  // A value that could forge log lines is replaced, not trusted.
  const hostile = await call('/health', { headers: { 'x-correlation-id': 'a b"}{"level":60' } });
  assert.is.not(hostile.headers.get('x-correlation-id'), 'a b"}{"level":60');
  assert.match(hostile.headers.get('x-correlation-id') ?? '', /^[0-9a-f-]{36}$/);
});

test('the correlation id is on the request’s log lines', async () => {
  await postJson('/stores/s-2/orders', { customerId: 'c', lines: [{ sku: 'A', quantity: 1 }] }, { 'x-correlation-id': 'trace-me' });
  const requestLines = lines.filter((line) => line.correlationId === 'trace-me');
  assert.equal(
    requestLines.map((line) => line.msg),
    ['incoming request', 'request completed'],
  );
});

test('probe requests are not logged', async () => {
  await call('/health', { headers: { 'x-correlation-id': 'probe-1' } });
  await call('/ready', { headers: { 'x-correlation-id': 'probe-2' } });
  assert.equal(
    lines.filter((line) => line.correlationId === 'probe-1'),
    [],
  );
  // A failing readiness check is still logged: it is why the instance is out of rotation.
  assert.equal(
    lines.filter((line) => line.correlationId === 'probe-2').map((line) => line.msg),
    ['readiness check failed'],
  );
});

test('/health answers 200 ok', async () => {
  const response = await call('/health');
  assert.is(response.status, 200);
  assert.equal(response.json(), { status: 'ok' });
});

test('/ready answers 503 problem naming the failing dependencies, and 200 once they answer', async () => {
  postgresUp = false;
  const down = await call('/ready');
  assert.is(down.status, 503);
  assert.is(down.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  const problem = down.json();
  assert.is(problem.detail, 'Not ready: postgres, nats did not answer');
  assert.equal(problem.checks, [
    { name: 'eventstore', ready: true },
    { name: 'postgres', ready: false },
    { name: 'nats', ready: false },
  ]);
  assert.not.match(down.text, 'hunter2');

  postgresUp = true;
  // nats never answers in this app, so readiness stays 503, now naming only nats.
  const stillDown = await call('/ready');
  assert.is(stillDown.json().detail, 'Not ready: nats did not answer');
});

test('/ready answers 200 when every check passes', async () => {
  const other = await createHttpServer({ logger, readinessChecks: [{ name: 'eventstore', check: async () => {} }] });
  const response = await other.inject({ method: 'GET', url: '/ready' });
  await other.close();
  assert.is(response.statusCode, 200);
  assert.equal(response.json(), { status: 'ready', checks: [{ name: 'eventstore', ready: true }] });
});

test('/metrics serves Prometheus text with default metrics and requests by route template and status', async () => {
  await postJson('/stores/s-9/orders', { customerId: 'c', lines: [{ sku: 'A', quantity: 1 }] });
  await postJson('/stores/s-9/orders', { customerId: 'c', lines: [] });
  const response = await call('/metrics');
  assert.is(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', 'text/plain; version=0.0.4');
  assert.match(response.text, /^process_cpu_user_seconds_total \d/m);
  assert.match(response.text, /^nodejs_eventloop_lag_seconds /m);
  // Counted before this test: one 201 in 'a valid request...', one in 'the correlation id...', one here; the route is the template.
  assert.match(response.text, /^http_requests_total\{method="POST",route="\/stores\/:storeId\/orders",status_code="201"\} 3$/m);
  assert.match(response.text, /^http_requests_total\{method="GET",route="\(unmatched\)",status_code="404"\} 1$/m);
  assert.match(
    response.text,
    /^http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/stores\/:storeId\/orders",status_code="201"\} 3$/m,
  );
});

test('/docs/json is an OpenAPI 3.1 document generated from the zod route schemas', async () => {
  const response = await call('/docs/json');
  assert.is(response.status, 200);
  const document = response.json() as {
    openapi: string;
    info: { title: string; version: string };
    paths: Record<
      string,
      Record<
        string,
        {
          summary?: string;
          parameters?: { name: string; in: string }[];
          requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; required: string[] } }> };
        }
      >
    >;
    components: { schemas: Record<string, unknown> };
  };
  assert.is(document.openapi, '3.1.0');
  assert.equal(document.info, { title: 'Test API', version: '1.2.3' });
  const placeOrder = document.paths['/stores/{storeId}/orders']?.post;
  assert.ok(placeOrder, 'the route is documented');
  assert.is(placeOrder.summary, 'Place an order');
  assert.equal(
    placeOrder.parameters?.map(({ name, in: where }) => `${where}:${name}`),
    ['query:dryRun', 'path:storeId'],
  );
  const bodySchema = placeOrder.requestBody?.content['application/json']?.schema;
  assert.equal(Object.keys(bodySchema?.properties ?? {}), ['customerId', 'lines']);
  assert.equal(bodySchema?.required, ['customerId', 'lines']);
  assert.ok(document.components.schemas.ProblemDetails, 'problem details are a named component');
  assert.ok(document.paths['/health'], 'operations are documented');
  assert.not.ok(document.paths['/docs/json'], 'the docs routes themselves are not');

  const ui = await call('/docs/');
  assert.is(ui.status, 200);
  assert.match(ui.headers.get('content-type') ?? '', 'text/html');
});

test.run();
