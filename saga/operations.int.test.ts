/** The saga process as operators see it: /health, /ready, /metrics, and log lines carrying correlation and causation ids. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../platform/testing/eventually';
import { mintToken } from '../platform/auth';
import { SagaFixture } from './testing/fixture';
import { freePort } from '../platform/testing/ports';
import { spawnSaga, TEST_SAGA_JWT_SECRET } from './testing/saga-process';

test('a saga process serves /health, /ready, /metrics, and logs with correlation and causation ids', async () => {
  const fx = await SagaFixture.start({ sagas: 0 });
  // A payment deadline no answer misses however busy the machine is: the outcomes below are counted.
  const child = await spawnSaga({
    EVENTSTORE_URL: fx.es.emulator.url,
    PAYMENT_PROVIDER_URL: fx.sandboxUrl,
    PAYMENT_DEADLINE_MS: '120000',
    LOG_LEVEL: 'info',
  });
  try {
    await child.ready;
    const base = `http://127.0.0.1:${child.port}`;
    assert.equal(await (await fetch(`${base}/health`)).json(), { status: 'ok' });
    await eventually('the process ready', async () => (await fetch(`${base}/ready`)).status === 200, { timeoutMs: 60_000 });

    await fx.addProduct('MUG', 1);
    // One after the other: which of two concurrent checkouts gets the last mug is up to scheduling.
    await fx.placeOrder('ops-ok', [{ sku: 'MUG', quantity: 1 }], 'tok_ok');
    await fx.waitForOutcome('ops-ok', 60_000);
    await fx.placeOrder('ops-short', [{ sku: 'MUG', quantity: 1 }], 'tok_ok');
    await fx.waitForOutcome('ops-short', 60_000);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const metric = (name: string, label: string, value: number) =>
      assert.match(metrics, new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} ${value}$`, 'm'));
    metric('saga_checkouts', 'state="completed"', 1);
    metric('saga_checkouts', 'state="compensated"', 1);
    metric('saga_checkouts', 'state="running"', 0);
    metric('saga_step_duration_seconds_count', 'step="authorize_payment",outcome="ok"', 1);
    metric('saga_compensations_total', 'compensation="cancel_order",outcome="completed"', 1);
    assert.match(metrics, /# TYPE saga_parked_events_total counter/);

    const lines = child
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const recorded = lines.filter((line) => line.msg === 'checkout step recorded' && line.orderId === 'ops-ok');
    assert.ok(recorded.length >= 3);
    assert.ok(recorded.every((line) => line.correlationId === 'request-ops-ok' && typeof line.causationId === 'string'));
    assert.ok(lines.some((line) => line.msg === 'checkout compensated' && line.correlationId === 'request-ops-short'));
  } finally {
    await child.kill('SIGTERM');
    await fx.close();
  }
});

test('POST /parked/replay is admin-only (401 without a token, 403 for a customer, 202 for an admin); /metrics can leave the public port', async () => {
  const fx = await SagaFixture.start({ sagas: 0 });
  const metricsPort = await freePort();
  const child = await spawnSaga({
    EVENTSTORE_URL: fx.es.emulator.url,
    PAYMENT_PROVIDER_URL: fx.sandboxUrl,
    METRICS_PORT: String(metricsPort),
    OPS_HOST: '127.0.0.1',
  });
  try {
    await child.ready;
    const base = `http://127.0.0.1:${child.port}`;
    const replay = async (token?: string) =>
      fetch(`${base}/parked/replay`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
    const anonymous = await replay();
    assert.is(anonymous.status, 401);
    assert.is(anonymous.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.is((await replay(await mintToken({ sub: 'carl', role: 'customer', secret: TEST_SAGA_JWT_SECRET }))).status, 403);
    assert.is(
      (await replay(await mintToken({ sub: 'root', role: 'admin', secret: 'not-the-saga-secret-0123456789abcdefgh' }))).status,
      401,
    );
    const admin = await replay(await mintToken({ sub: 'root', role: 'admin', secret: TEST_SAGA_JWT_SECRET }));
    assert.is(admin.status, 202);
    assert.equal(await admin.json(), { status: 'replaying' });

    assert.is((await fetch(`${base}/metrics`)).status, 404, 'not on the public port');
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.is(metrics.status, 200);
    assert.match(await metrics.text(), /saga_checkouts/);
  } finally {
    await child.kill('SIGTERM');
    await fx.close();
  }
});

test.run();
