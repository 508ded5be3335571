import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient, type EmulatorFixture } from '../eventstore-emulator/testing/fixture';
import { mintToken } from '../platform/auth';
import { loadConfig } from '../platform/config';
import { eventually } from '../platform/testing/eventually';
import { listenOnEphemeralPort } from '../platform/testing/ports';
import { createLogger } from '../platform/logger';
import { createTestSchema, type TestSchema } from '../platform/testing/postgres-schema';
import { projectorsEnv } from './config';
import { startProjectorService, type ProjectorService } from './service';
import { Shop, settle } from './testing/fixture';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
let es: EmulatorFixture;
let db: TestSchema;
let service: ProjectorService;
let base: string;
const tag = randomBytes(4).toString('hex');
const JWT_SECRET = 'projectors-tests-secret-0123456789abcdef';
const adminHeaders = async () => ({ authorization: `Bearer ${await mintToken({ sub: 'ops', role: 'admin', secret: JWT_SECRET })}` });

test.before(async () => {
  es = await startEmulatorWithClient();
  db = await createTestSchema();
  const config = loadConfig(projectorsEnv, {
    EVENTSTORE_URL: es.emulator.url,
    DATABASE_URL: db.url,
    DATABASE_SCHEMA: db.schema,
    NATS_URL,
    NOTIFICATIONS_SUBJECT_PREFIX: `t_${tag}.notifications`,
    NOTIFICATIONS_STREAM: `T_${tag}`,
    JWT_SECRET,
  });
  service = await startProjectorService(config, createLogger({ service: 'projectors', level: 'silent' }));
  base = await listenOnEphemeralPort(service.app);
});

test.after(async () => {
  await service.app.close();
  await service.close();
  const nats = await connect({ servers: NATS_URL });
  await (await nats.jetstreamManager()).streams.delete(`T_${tag}`).catch(() => undefined);
  await nats.close();
  await db.drop();
  await es.close();
});

test('the service migrates on start, projects, and answers /health, /ready, /metrics and /projections', async () => {
  const shop = new Shop(es.client);
  await shop.addProduct('A', 1000, 10);
  await shop.checkout('o1', 'c1', [{ sku: 'A', quantity: 6, price: 1000 }]);
  await settle(es.client, service.runners);
  assert.is((await db.knex('orders').where({ order_id: 'o1' }).first()).status, 'confirmed');

  assert.equal(await (await fetch(`${base}/health`)).json(), { status: 'ok' });
  // NATS readiness follows the notifier's connection, which may take a moment.
  const ready = await eventually('/ready to answer 200', async () => {
    const response = await fetch(`${base}/ready`);
    return response.status === 200 ? response : undefined;
  });
  const readyBody = (await ready.json()) as { checks: { name: string }[] };
  assert.equal(
    readyBody.checks.map(({ name }) => name),
    ['postgres', 'eventstore', 'nats', 'projections'],
  );

  const names = ['orders', 'products', 'checkout_progress', 'sales', 'notifications'];
  // The lag probe is cached for a second: asked again until it is read afresh.
  const metrics = await eventually('/metrics to show every projection without lag', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return names.every((name) => text.includes(`projector_lag_events{projection="${name}",service="projectors"} 0`)) ? text : undefined;
  });
  for (const name of names) {
    assert.match(metrics, `projector_lag_events{projection="${name}",service="projectors"} 0`);
    assert.match(metrics, `projector_lag_seconds{projection="${name}",service="projectors"} 0`);
    assert.match(metrics, `projector_state{projection="${name}",state="live",service="projectors"} 1`);
  }
  assert.match(metrics, /projector_events_applied_total\{projection="orders",service="projectors"\} [1-9]/);
  assert.match(metrics, 'notifier_outbox_unsent');

  const status = (await (await fetch(`${base}/projections`, { headers: await adminHeaders() })).json()) as {
    projections: { name: string; state: string; lagEvents: number }[];
  };
  assert.equal(
    status.projections.map(({ name, state, lagEvents }) => [name, state, lagEvents]),
    [
      ['orders', 'live', 0],
      ['products', 'live', 0],
      ['checkout_progress', 'live', 0],
      ['sales', 'live', 0],
      ['notifications', 'live', 0],
    ],
  );
});

test('/projections is admin-only: no token 401, a customer token 403, an admin token 200', async () => {
  const noToken = await fetch(`${base}/projections`);
  assert.is(noToken.status, 401);
  assert.is(noToken.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.is(noToken.headers.get('www-authenticate'), 'Bearer');
  const customer = await mintToken({ sub: 'c1', role: 'customer', secret: JWT_SECRET });
  assert.is((await fetch(`${base}/projections`, { headers: { authorization: `Bearer ${customer}` } })).status, 403);
  const forged = await mintToken({ sub: 'ops', role: 'admin', secret: 'some-other-secret-0123456789abcdefgh' });
  assert.is((await fetch(`${base}/projections`, { headers: { authorization: `Bearer ${forged}` } })).status, 401);
  const admin = await fetch(`${base}/projections`, { headers: await adminHeaders() });
  assert.is(admin.status, 200);
  assert.is(admin.headers.get('cache-control'), 'no-store');
});

test.run();
