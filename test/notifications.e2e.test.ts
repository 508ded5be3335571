/**
 * Issue 5, end to end: an order placed over HTTP is checked out by the saga, projected into
 * Postgres with its notification and outbox row, published to NATS by the notifier, and pushed by
 * the query API to the socket.io client of the customer it belongs to — and to nobody else.
 * Every service runs in this process (test/testing/system.ts) against the machine's PostgreSQL
 * and NATS, except the NATS-restart test, which runs a NATS server of its own.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectNotifications, placeOrder, query, stockProduct, type Notification, type NotificationsClient } from './testing/customer';
import { eventually } from '../platform/testing/eventually';
import { startOwnNatsServer } from './testing/nats-server';
import { startSystem, type RunningSystem } from './testing/system';

const PRICE = 1250;
let system: RunningSystem;

test.before(async () => {
  system = await startSystem();
  await stockProduct(system, 'MUG', { price: PRICE, quantity: 1000 });
});

test.after(async () => {
  await system?.stop();
});

/** What a customer is told when an order is confirmed, as exactly as it can be known beforehand. */
function confirmed(customerId: string, orderId: string, seq: number, amount: number) {
  return {
    seq,
    audience: 'customer',
    userId: customerId,
    type: 'OrderConfirmed',
    orderId,
    sku: null,
    data: { total: { amount, currency: 'EUR' } },
  };
}

/** A notification without what cannot be known beforehand (its id and time). */
function shape({ id: _id, at: _at, ...rest }: Notification) {
  return rest;
}

test("a customer's socket receives its order-confirmed notification; another customer's socket receives none of it", async () => {
  const alice = await connectNotifications(system, 'alice');
  const bob = await connectNotifications(system, 'bob');
  try {
    const order = await placeOrder(system, 'alice', [{ sku: 'MUG', quantity: 2 }]);
    const [notification] = await alice.waitForNotifications(1);
    assert.equal(shape(notification!), confirmed('alice', order.orderId, 1, 2 * PRICE));
    assert.match(notification!.id, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(notification!.at)));

    // Bob's own order is published after Alice's (the notifier keeps outbox order, the gateway
    // NATS order): once Bob has his, a misrouted copy of Alice's would have reached him first.
    const bobsOrder = await placeOrder(system, 'bob', [{ sku: 'MUG', quantity: 1 }]);
    await bob.waitForNotifications(1);
    assert.equal(bob.notifications.map(shape), [confirmed('bob', bobsOrder.orderId, 1, PRICE)]);
    assert.equal(alice.notifications.map(shape), [confirmed('alice', order.orderId, 1, 2 * PRICE)]);
    assert.equal(alice.repeats.length + bob.repeats.length, 0);
  } finally {
    alice.close();
    bob.close();
  }
});

test('a client offline during the event gets it on reconnect with its last id: missed ones first, in order, then live', async () => {
  const first = await connectNotifications(system, 'carol');
  const placedWhileOnline = await placeOrder(system, 'carol', [{ sku: 'MUG', quantity: 1 }]);
  const [seenLast] = await first.waitForNotifications(1);
  assert.is(seenLast!.orderId, placedWhileOnline.orderId);
  first.close();

  // Offline: two orders are checked out and their notifications written (and published to nobody).
  const missed = [
    await placeOrder(system, 'carol', [{ sku: 'MUG', quantity: 3 }]),
    await placeOrder(system, 'carol', [{ sku: 'MUG', quantity: 4 }]),
  ];
  await eventually('carol has 3 notifications in the read model', async () => {
    const { body } = await query(system, 'carol', '/notifications');
    return (body.items as unknown[]).length === 3 ? true : undefined;
  });

  const again = await connectNotifications(system, 'carol', { lastNotificationId: seenLast!.id });
  try {
    await again.waitForNotifications(2);
    const live = await placeOrder(system, 'carol', [{ sku: 'MUG', quantity: 5 }]);
    await again.waitForNotifications(3);
    assert.equal(again.notifications.map(shape), [
      confirmed('carol', missed[0]!.orderId, 2, 3 * PRICE),
      confirmed('carol', missed[1]!.orderId, 3, 4 * PRICE),
      confirmed('carol', live.orderId, 4, 5 * PRICE),
    ]);
    const ids = again.notifications.map(({ id }) => id);
    assert.equal(again.seen, [
      { kind: 'connect' },
      { kind: 'notification', id: ids[0], type: 'OrderConfirmed' },
      { kind: 'notification', id: ids[1], type: 'OrderConfirmed' },
      { kind: 'caught-up', count: 2 },
      { kind: 'notification', id: ids[2], type: 'OrderConfirmed' },
    ]);
    assert.equal(again.caughtUp, [{ count: 2, more: false, unknownLastNotificationId: false }]);
    assert.is(again.repeats.length, 0);
  } finally {
    again.close();
  }
});

test('read your writes through the whole system: GET /orders/:id with X-Min-Position = the position POST /orders answered sees the order', async () => {
  for (let i = 1; i <= 5; i++) {
    const placed = await placeOrder(system, 'dave', [{ sku: 'MUG', quantity: i }]);
    assert.match(placed.position.commit, /^\d+$/);
    const { status, body } = await query(system, 'dave', `/orders/${placed.orderId}`, {
      'x-min-position': `${placed.position.commit}/${placed.position.prepare}`,
    });
    assert.is(status, 200, JSON.stringify(body));
    assert.is(body.orderId, placed.orderId);
    assert.is(body.customerId, 'dave');
    assert.ok(['placed', 'confirmed'].includes(body.status as string), `status ${String(body.status)}`);
    assert.equal(body.lines, [{ sku: 'MUG', quantity: i, unitPrice: { amount: PRICE, currency: 'EUR' } }]);
    assert.equal(body.total, { amount: i * PRICE, currency: 'EUR' });
  }
  // The JSON spelling a client may pass on as it came.
  const placed = await placeOrder(system, 'dave', [{ sku: 'MUG', quantity: 1 }]);
  const { status, body } = await query(system, 'dave', `/orders/${placed.orderId}`, { 'x-min-position': JSON.stringify(placed.position) });
  assert.is(status, 200);
  assert.is(body.orderId, placed.orderId);
});

test('a declined payment: the customer is told the payment was declined and the order cancelled, with the reasons', async () => {
  const erin = await connectNotifications(system, 'erin');
  try {
    const order = await placeOrder(system, 'erin', [{ sku: 'MUG', quantity: 2 }], 'tok_decline');
    await erin.waitForNotifications(2);
    assert.equal(erin.notifications.map(shape), [
      {
        seq: 1,
        audience: 'customer',
        userId: 'erin',
        type: 'PaymentDeclined',
        orderId: order.orderId,
        sku: null,
        data: { reason: 'card_declined' },
      },
      {
        seq: 2,
        audience: 'customer',
        userId: 'erin',
        type: 'OrderCancelled',
        orderId: order.orderId,
        sku: null,
        data: { reason: 'payment_declined' },
      },
    ]);
    const { body } = await query(system, 'erin', `/orders/${order.orderId}`);
    assert.is(body.status, 'cancelled');
    assert.is((body.cancellation as { reason: string }).reason, 'payment_declined');
    assert.is((body.payment as { declineReason: string }).declineReason, 'card_declined');
  } finally {
    erin.close();
  }
});

test('NATS restarted mid-run: every notification reaches the socket exactly once and every outbox row ends sent', async () => {
  const nats = await startOwnNatsServer();
  let shop: RunningSystem | undefined;
  let client: NotificationsClient | undefined;
  try {
    shop = await startSystem({ natsUrl: nats.url });
    await stockProduct(shop, 'LAMP', { price: 900, quantity: 100 });
    client = await connectNotifications(shop, 'frank');

    const before = [];
    for (let i = 1; i <= 3; i++) before.push(await placeOrder(shop, 'frank', [{ sku: 'LAMP', quantity: 1 }]));
    await client.waitForNotifications(3);

    await nats.kill('SIGKILL');
    const during = [];
    for (let i = 1; i <= 3; i++) during.push(await placeOrder(shop, 'frank', [{ sku: 'LAMP', quantity: 2 }]));
    // Written while NATS is down: in the outbox, unsent.
    await eventually('3 unsent outbox rows', async () => {
      const unsent = (await shop!.knex('notification_outbox').whereNull('sent_at').pluck('id')) as number[];
      return unsent.length === 3 ? true : undefined;
    });
    assert.is(client.notifications.length, 3);

    await nats.start();
    const after = [await placeOrder(shop, 'frank', [{ sku: 'LAMP', quantity: 3 }])];
    await client.waitForNotifications(7, 30_000);

    const expected = [
      ...before.map(({ orderId }, index) => confirmed('frank', orderId, index + 1, 900)),
      ...during.map(({ orderId }, index) => confirmed('frank', orderId, index + 4, 1800)),
      ...after.map(({ orderId }) => confirmed('frank', orderId, 7, 2700)),
    ];
    assert.equal(client.notifications.map(shape), expected);
    const stored = (await shop.knex('notifications').where({ user_id: 'frank' }).orderBy('seq').pluck('notification_id')) as string[];
    assert.equal(
      client.notifications.map(({ id }) => id),
      stored,
    );
    const outbox = await eventually('every outbox row sent', async () => {
      const rows = (await shop!.knex('notification_outbox').orderBy('id').select('notification_id', 'sent_at')) as {
        notification_id: string;
        sent_at: Date | null;
      }[];
      return rows.every(({ sent_at }) => sent_at !== null) ? rows : undefined;
    });
    assert.equal(
      outbox.map(({ notification_id }) => notification_id),
      stored,
    );
    // The gateway cut the socket when it reconnected to NATS; the client came back by itself.
    assert.ok(client.seen.filter(({ kind }) => kind === 'connect').length >= 2, JSON.stringify(client.seen));

    // And live delivery works again afterwards.
    const later = await placeOrder(shop, 'frank', [{ sku: 'LAMP', quantity: 4 }]);
    await client.waitForNotifications(8);
    assert.equal(shape(client.notifications[7]!), confirmed('frank', later.orderId, 8, 3600));
  } finally {
    client?.close();
    await shop?.stop();
    await nats.remove();
  }
});

test.run();
