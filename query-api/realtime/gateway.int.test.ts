import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../../platform/testing/eventually';
import { io } from 'socket.io-client';
import { mintToken } from '../../platform/auth';
import type { Notification } from '../notifications/notification-store';
import { insertNotification, publishNotification, startQueryApi, TEST_JWT_SECRET, type RunningQueryApi } from '../testing/fixture';
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

async function connect(sub: string, options: { role?: 'customer' | 'admin'; lastNotificationId?: string } = {}): Promise<TestClient> {
  const client = await connectClient(api.baseUrl, {
    token: await api.token(sub, options.role),
    ...(options.lastNotificationId ? { lastNotificationId: options.lastNotificationId } : {}),
  });
  open.push(client);
  return client;
}

async function refusal(token: string | undefined): Promise<{ message: string; data: unknown }> {
  try {
    const client = await connectClient(api.baseUrl, token === undefined ? {} : { token });
    client.close();
    throw new Error('the handshake was accepted');
  } catch (error) {
    const { message, data } = error as Error & { data?: unknown };
    return { message, data };
  }
}

test('a forged, expired or absent token is refused at the handshake', async () => {
  assert.equal(await refusal(undefined), {
    message: 'unauthorized',
    data: { reason: 'missing_token', detail: 'Send a bearer token in the handshake: io(url, { auth: { token } })' },
  });
  const forged = await mintToken({ sub: 'mallory', role: 'admin', secret: 'not-the-secret-of-this-deployment-000000' });
  assert.equal(await refusal(forged), { message: 'unauthorized', data: { reason: 'invalid_token', detail: 'The token is not valid' } });
  const expired = await mintToken({
    sub: 'mallory',
    role: 'customer',
    secret: TEST_JWT_SECRET,
    issuedAt: Math.floor(Date.now() / 1000) - 7200,
    expiresIn: 60,
  });
  assert.equal(await refusal(expired), { message: 'unauthorized', data: { reason: 'expired_token', detail: 'The token has expired' } });
  assert.equal(await refusal('not.a.jwt'), {
    message: 'unauthorized',
    data: { reason: 'invalid_token', detail: 'The token is not valid' },
  });
});

test('a customer receives their own notification; another customer and an admin receive nothing of it', async () => {
  const henry = await connect('henry');
  const ida = await connect('ida');
  const admin = await connect('root', { role: 'admin' });

  const forHenry = await insertNotification(api.knex, { userId: 'henry', position: 10n });
  await publishNotification(api.nats, api.subjectPrefix, forHenry);
  assert.equal(await henry.waitFor(1), [forHenry]);

  // Published after henry's on the same connection, so delivered after it: once these arrive,
  // anything of henry's would have arrived before them.
  const forIda = await insertNotification(api.knex, { userId: 'ida', position: 11n });
  const lowStock = await insertNotification(api.knex, { userId: '*', audience: 'admin', type: 'LowStock', orderId: null, position: 12n });
  await publishNotification(api.nats, api.subjectPrefix, forIda);
  await publishNotification(api.nats, api.subjectPrefix, lowStock);
  assert.equal(await ida.waitFor(1), [forIda]);
  assert.equal(await admin.waitFor(1), [lowStock], 'the admin room gets admin notifications only');
  await sleep(100);
  assert.equal(henry.received, [forHenry], 'henry got neither ida’s nor the admin’s');
  assert.equal(ida.received, [forIda]);
});

test('a message whose payload names another user than its subject is delivered to no one', async () => {
  const jack = await connect('jack');
  const kate = await connect('kate');
  const forKate = await insertNotification(api.knex, { userId: 'kate', position: 20n });
  // Sent on jack's subject but about kate: a bug upstream must not leak kate's data to jack.
  api.nats.publish(`${api.subjectPrefix}.customer.jack`, JSON.stringify(forKate));
  api.nats.publish(`${api.subjectPrefix}.customer.jack`, 'not json');
  const forJack = await insertNotification(api.knex, { userId: 'jack', position: 21n });
  await publishNotification(api.nats, api.subjectPrefix, forJack);
  assert.equal(await jack.waitFor(1), [forJack]);
  await sleep(50);
  assert.equal(kate.received, []);
});

test('a client offline during the events gets the missed ones on reconnect, in order, then live ones, without duplicates', async () => {
  const lena = await connect('lena');
  const seen = await insertNotification(api.knex, { userId: 'lena', position: 30n });
  await publishNotification(api.nats, api.subjectPrefix, seen);
  assert.equal(await lena.waitFor(1), [seen]);
  lena.close();

  // While lena is offline: three notifications of hers (two published live to nobody, one not yet
  // published by a lagging notifier) and one of someone else's.
  const missed1 = await insertNotification(api.knex, { userId: 'lena', position: 31n });
  await insertNotification(api.knex, { userId: 'mike', position: 32n });
  const missed2 = await insertNotification(api.knex, {
    userId: 'lena',
    position: 33n,
    type: 'PaymentDeclined',
    data: { reason: 'insufficient_funds' },
  });
  const missed3 = await insertNotification(api.knex, { userId: 'lena', position: 34n });
  await publishNotification(api.nats, api.subjectPrefix, missed1);
  await publishNotification(api.nats, api.subjectPrefix, missed2);

  const back = await connect('lena', { lastNotificationId: seen.id });
  assert.equal(await back.waitFor(3), [missed1, missed2, missed3], 'the missed ones first, in order');
  assert.equal(back.caughtUp, [{ count: 3, more: false, unknownLastNotificationId: false }]);

  // The lagging notifier now publishes missed3, then a new one arrives live.
  await publishNotification(api.nats, api.subjectPrefix, missed3);
  const fresh = await insertNotification(api.knex, { userId: 'lena', position: 35n });
  await publishNotification(api.nats, api.subjectPrefix, fresh);
  assert.equal(await back.waitFor(4), [missed1, missed2, missed3, fresh]);
  await sleep(100);
  assert.equal(
    back.received.map(({ id }) => id),
    [missed1.id, missed2.id, missed3.id, fresh.id],
    'missed3 was not sent twice',
  );
});

test('live notifications arriving during a catch-up are held, sent after it in order, and never twice', async () => {
  const seen = await insertNotification(api.knex, { userId: 'sam', position: 60n });
  const missed = await insertNotification(api.knex, { userId: 'sam', position: 61n });
  // Hold the catch-up query: the table is locked by a transaction that writes the next one.
  const trx = await api.knex.transaction();
  let connecting: Promise<TestClient> | undefined;
  try {
    await trx.raw('lock table notifications in access exclusive mode');
    const fresh = await insertNotification(trx, { userId: 'sam', position: 62n });
    connecting = connect('sam', { lastNotificationId: seen.id });
    await sleep(300); // connected, catch-up query waiting on the lock
    await publishNotification(api.nats, api.subjectPrefix, fresh); // live, during the catch-up
    await publishNotification(api.nats, api.subjectPrefix, missed); // a late copy of a missed one
    await sleep(100);
    await trx.commit();
    const sam = await connecting;
    assert.equal(await sam.waitFor(2), [missed, fresh]);
    await sleep(100);
    assert.equal(
      sam.received.map(({ id }) => id),
      [missed.id, fresh.id],
    );
    assert.equal(sam.caughtUp, [{ count: 2, more: false, unknownLastNotificationId: false }]);
  } finally {
    if (!trx.isCompleted()) await trx.rollback();
  }
});

test('a last id that is not the user’s own catches up nothing and says so', async () => {
  const other = await insertNotification(api.knex, { userId: 'nora', position: 40n });
  const oscar = await connect('oscar', { lastNotificationId: other.id });
  await sleep(100);
  assert.equal(oscar.caughtUp, [{ count: 0, more: false, unknownLastNotificationId: true }]);
  assert.equal(oscar.received, []);
});

test('after NATS reconnects, sockets are cut and their clients catch up on what was published meanwhile', async () => {
  const token = await api.token('rita');
  const first = await insertNotification(api.knex, { userId: 'rita', position: 50n });
  let lastNotificationId: string | undefined;
  const received: string[] = [];
  const socket = io(api.baseUrl, {
    transports: ['websocket'],
    reconnectionDelay: 50,
    reconnectionDelayMax: 100,
    auth: (send) => send({ token, ...(lastNotificationId ? { lastNotificationId } : {}) }),
  });
  socket.on('notification', (notification: Notification) => {
    received.push(notification.id);
    lastNotificationId = notification.id;
  });
  try {
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    await publishNotification(api.nats, api.subjectPrefix, first);
    await eventually('the first notification', () => received.length === 1);

    // Published while this instance is away from NATS: lost for live delivery.
    const reconnected = (async () => {
      for await (const status of api.nats.status()) if (status.type === 'reconnect') return;
    })();
    await api.nats.reconnect();
    const lost = await insertNotification(api.knex, { userId: 'rita', position: 51n });
    await reconnected;
    await eventually('the missed notification after reconnecting', () => received.length === 2);
    assert.equal(received, [first.id, lost.id]);
  } finally {
    socket.disconnect();
  }
});

test.run();
