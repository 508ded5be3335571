/**
 * The gateway over the in-process notification bus (what `npm start` runs without NATS_URL), on
 * the embedded database: a notification published on the bus, as the notifier publishes an outbox
 * row, reaches the sockets of the user it names and nobody else's; one under another prefix
 * reaches no one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mintToken } from '../../platform/auth';
import { listenOnEphemeralPort } from '../../platform/testing/ports';
import { createLogger } from '../../platform/logger';
import { subjectToken } from '../../platform/nats';
import { InProcessNotificationBus, type PublishingSession } from '../../platform/notification-bus';
import {
  closePostgres,
  connectPostgres,
  migrateToLatest,
  openEmbeddedPostgres,
  type EmbeddedPostgres,
  type Knex,
} from '../../platform/postgres';
import { readModelMigrations } from '../../projectors/migrations';
import { buildQueryApi, type QueryApi } from '../app';
import type { Notification } from '../notifications/notification-store';
import { connectClient, type TestClient } from '../testing/socket-client';

const SECRET = 'in-process-bus-test-secret-0123456789abcdef';
const PREFIX = 'notifications';
let database: EmbeddedPostgres;
let knex: Knex;
let api: QueryApi;
let baseUrl: string;
let bus: InProcessNotificationBus;
let publisher: PublishingSession;
const open: TestClient[] = [];

test.before(async () => {
  // The read models' tables are the projectors' (the gateway reads them for a catch-up); a test
  // may create them from the migrations as the other query API tests do.
  database = await openEmbeddedPostgres();
  knex = connectPostgres({ url: database.url });
  await migrateToLatest(knex, readModelMigrations);
  bus = new InProcessNotificationBus();
  api = await buildQueryApi({
    knex,
    notifications: bus,
    logger: createLogger({ service: 'test', level: 'silent' }),
    config: { jwtSecret: SECRET, notificationsSubjectPrefix: PREFIX },
  });
  baseUrl = await listenOnEphemeralPort(api);
  publisher = await bus.open();
});

test.after(async () => {
  for (const client of open) client.close();
  await api.close();
  await closePostgres(knex);
  await database.close();
});

async function connect(sub: string, role: 'customer' | 'admin' = 'customer'): Promise<TestClient> {
  const client = await connectClient(baseUrl, { token: await mintToken({ sub, role, secret: SECRET }) });
  open.push(client);
  return client;
}

function notificationFor(userId: string, audience: 'customer' | 'admin' = 'customer'): Notification {
  return {
    id: randomUUID(),
    seq: 1,
    audience,
    userId,
    type: 'OrderConfirmed',
    orderId: randomUUID(),
    sku: null,
    at: new Date().toISOString(),
    data: { total: { amount: 2500, currency: 'EUR' } },
  };
}

/** As the notifier publishes an outbox row. */
async function publish(notification: Notification, prefix = PREFIX): Promise<void> {
  const subject = notification.audience === 'admin' ? 'admin' : `customer.${subjectToken(notification.userId)}`;
  await publisher.publish(`${prefix}.${subject}`, JSON.stringify(notification), { id: notification.id, timeoutMs: 1000 });
}

test("a notification published on the in-process bus reaches its user's sockets only", async () => {
  const alice = await connect('alice');
  const aliceOnAnotherTab = await connect('alice');
  const bob = await connect('bob');
  const admin = await connect('ada', 'admin');

  const forAlice = notificationFor('alice');
  await publish(forAlice);
  await alice.waitFor(1);
  await aliceOnAnotherTab.waitFor(1);
  assert.equal(alice.received, [forAlice]);
  assert.equal(aliceOnAnotherTab.received, [forAlice]);

  // Published after Alice's, on the same bus, in order: had hers been misrouted, it would be here first.
  const forBob = notificationFor('bob');
  await publish(forBob);
  await bob.waitFor(1);
  assert.equal(bob.received, [forBob]);

  const forAdmins = notificationFor('*', 'admin');
  await publish(forAdmins);
  await admin.waitFor(1);
  assert.equal(admin.received, [forAdmins]);
  assert.equal(alice.received, [forAlice]);
  assert.equal(bob.received, [forBob]);
});

test('an id with characters a subject cannot hold still reaches that user; another prefix reaches no one', async () => {
  const odd = await connect('user.with*odd>chars');
  const plain = await connect('user');
  await publish(notificationFor('user.with*odd>chars'), 'other_deployment.notifications');
  const forOdd = notificationFor('user.with*odd>chars');
  await publish(forOdd);
  await odd.waitFor(1);
  await sleep(50);
  assert.equal(odd.received, [forOdd]);
  assert.equal(plain.received, []);
});

test('the query API reports the bus in its readiness', async () => {
  const ready = (await (await fetch(`${baseUrl}/ready`)).json()) as { checks: { name: string; ready: boolean }[] };
  assert.ok(
    ready.checks.some(({ name, ready: ok }) => name === 'notification-bus' && ok),
    JSON.stringify(ready),
  );
});

test.run();
