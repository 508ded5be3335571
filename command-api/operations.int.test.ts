import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient } from '../eventstore-emulator/testing/fixture';
import { storedEvents, startCommandApi, type CommandApiFixture } from './testing/fixture';

let api: CommandApiFixture;
let admin: string;

test.before(async () => {
  api = await startCommandApi();
  admin = await api.token('ada', 'admin');
});
test.after(async () => {
  await api.close();
});

/** The value of the sample of `name` whose labels include `labels` (in any order). */
function sample(exposition: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of exposition.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

const text = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
};

test('/health is 200 and /ready is 200 while the event store answers', async () => {
  const health = await api.call('GET', '/health');
  assert.equal([health.status, health.body], [200, { status: 'ok' }]);
  const ready = await api.call('GET', '/ready');
  assert.is(ready.status, 200);
  assert.equal(ready.body, { status: 'ready', checks: [{ name: 'eventstore', ready: true }] });
});

test('/ready is 503 naming the event store when it is down', async () => {
  const lonely = await startEmulatorWithClient();
  const down = await startCommandApi({ emulator: lonely });
  try {
    await lonely.emulator.stop();
    const answer = await down.call('GET', '/ready');
    assert.is(answer.status, 503);
    assert.equal([answer.body.type, answer.body.detail], ['urn:checkout:problem:not-ready', 'Not ready: eventstore did not answer']);
  } finally {
    await down.app.close();
    await Promise.all([lonely.client.dispose()]);
  }
});

test('two instances writing one stream: conflicts are retried, every receipt lands once, and the metrics show it', async () => {
  const second = await startCommandApi({ emulator: api.emulator, client: api.emulator.newClient() });
  try {
    await api.call('POST', '/products', { token: admin, body: { sku: 'SHARED', name: 'shared', price: { amount: 100, currency: 'EUR' } } });
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 === 0 ? api : second).call('POST', '/products/SHARED/stock', { token: admin, body: { quantity: i + 1 } }),
      ),
    );
    assert.equal(
      answers.map((answer) => answer.status),
      Array(60).fill(200),
    );
    const received = (await storedEvents(api.client, 'inventory-SHARED')).filter((event) => event.type === 'StockReceived');
    assert.is(received.length, 60);
    assert.is(
      received.reduce((sum, event) => sum + (event.data as { quantity: number }).quantity, 0),
      (60 * 61) / 2,
    );

    const metrics = [await text(`${api.baseUrl}/metrics`), await text(`${second.baseUrl}/metrics`)];
    const conflicts = metrics
      .map(({ text }) => sample(text, 'eventstore_append_conflicts_total', { category: 'inventory' }) ?? 0)
      .reduce((sum, count) => sum + count, 0);
    assert.ok(conflicts > 0, `two instances racing on one stream must have conflicted (counted ${conflicts})`);
  } finally {
    await second.close();
  }
});

test('/metrics: requests by route template, append latency by stream category', async () => {
  await api.call('POST', '/products/SHARED/stock', { token: admin, body: { quantity: 1 } });
  const metrics = await text(`${api.baseUrl}/metrics`);
  assert.is(metrics.status, 200);
  assert.match(metrics.contentType ?? '', 'text/plain');
  const requests = sample(metrics.text, 'http_requests_total', {
    method: 'POST',
    route: '/products/:sku/stock',
    status_code: '200',
    service: 'command-api',
  });
  assert.ok(requests !== undefined && requests >= 1, `requests counted: ${requests}`);
  const appends = sample(metrics.text, 'eventstore_append_duration_seconds_count', {
    category: 'inventory',
    outcome: 'ok',
    service: 'command-api',
  });
  assert.ok(appends !== undefined && appends >= 2, `appends timed: ${appends}`);
  assert.is(
    sample(metrics.text, 'eventstore_append_duration_seconds_bucket', { le: '+Inf', category: 'inventory', outcome: 'ok' }),
    appends,
  );
  assert.is(
    sample(metrics.text, 'eventstore_append_duration_seconds_count', { category: 'inventory', outcome: 'conflict' }),
    sample(metrics.text, 'eventstore_append_conflicts_total', { category: 'inventory' }),
  );
});

test('/docs serves the OpenAPI document generated from the route schemas', async () => {
  const document = (await api.call('GET', '/docs/json')).body as {
    openapi: string;
    paths: Record<
      string,
      Record<string, { security?: unknown; responses: Record<string, unknown>; parameters?: { name: string; in: string }[] }>
    >;
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
  };
  assert.is(document.openapi, '3.1.0');
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );
  for (const operation of [
    'POST /products',
    'PUT /products/{sku}/price',
    'POST /products/{sku}/stock',
    'POST /orders',
    'POST /orders/{orderId}/cancel',
  ]) {
    assert.ok(operations.includes(operation), `${operation} is documented`);
  }
  const placing = document.paths['/orders']?.post;
  assert.equal(placing?.security, [{ bearer: [] }]);
  assert.equal(Object.keys(placing?.responses ?? {}).sort(), ['202', '400', '401', '403', '404', '409', '422']);
  assert.ok(placing?.parameters?.some((parameter) => parameter.in === 'header' && parameter.name === 'idempotency-key'));
  assert.equal(Object.keys(document.components.schemas.OrderCommandAccepted?.properties ?? {}), ['orderId', 'revision', 'position']);
  assert.equal(Object.keys(document.components.schemas.PlaceOrderBody?.properties ?? {}), ['lines', 'paymentToken']);
});

test('log lines of a command carry its correlation id', async () => {
  await api.call('POST', '/products/NOPE/stock', { token: admin, body: { quantity: 1 }, headers: { 'x-correlation-id': 'trace-404' } });
  const lines = api.logLines.filter((line) => line.correlationId === 'trace-404');
  assert.equal(
    lines.map((line) => line.msg),
    ['incoming request', 'request completed'],
  );
  assert.is((lines[1]?.res as { statusCode: number }).statusCode, 404);
  assert.not.ok(JSON.stringify(api.logLines).includes(admin), 'tokens never reach the log');
});

test.run();
