import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection, type Subscription } from 'nats';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../../platform/testing/eventually';
import { notificationsProjection } from '../projections/notifications';
import type { NotificationPayload } from '../projections/notification-outbox';
import { settle, startProjectorTestFixture, type ProjectorTestFixture } from '../testing/fixture';
import { OutboxPublisher } from './publisher';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const natsPort = Number(new URL(NATS_URL).port || 4222);
const natsHost = new URL(NATS_URL).hostname;

/** A TCP relay to NATS that can be switched off (listening nowhere, connections cut) and on. */
class NatsRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}

  static async freePort(): Promise<number> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
  }

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = tcpConnect(natsPort, natsHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

interface Setup {
  f: ProjectorTestFixture;
  prefix: string;
  stream: string;
  nats: NatsConnection;
  received: NotificationPayload[];
  subscription: Subscription;
}

async function setUp(): Promise<Setup> {
  const f = await startProjectorTestFixture();
  const tag = randomBytes(4).toString('hex');
  const prefix = `t_${tag}.notifications`;
  const nats = await connect({ servers: NATS_URL });
  const received: NotificationPayload[] = [];
  const subscription = nats.subscribe(`${prefix}.>`, {
    callback: (_error, message) => received.push(message.json<NotificationPayload>()),
  });
  await nats.flush();
  return { f, prefix, stream: `T_${tag}`, nats, received, subscription };
}

async function tearDown({ f, nats, stream }: Setup): Promise<void> {
  const jsm = await nats.jetstreamManager();
  await jsm.streams.delete(stream).catch(() => undefined);
  await nats.close();
  await f.close();
}

function publisher({ f, prefix, stream }: Setup, natsUrl: string): OutboxPublisher {
  return new OutboxPublisher({
    knex: f.db.knex,
    databaseUrl: f.db.url,
    schema: f.db.schema,
    natsUrl,
    logger: f.logger,
    subjectPrefix: prefix,
    streamName: stream,
    pollMs: 200,
    publishTimeoutMs: 1000,
    retry: { initialMs: 100, maxMs: 400 },
  });
}

const distinctIds = (received: NotificationPayload[]) => new Set(received.map(({ id }) => id));

test('notifications reach NATS on their subjects, in order per user, and are marked sent', async () => {
  const setup = await setUp();
  const { f, received, prefix } = setup;
  let notifier: OutboxPublisher | undefined;
  try {
    const runner = f.runner(notificationsProjection({ lowStockThreshold: 5 })).start();
    notifier = publisher(setup, NATS_URL).start();
    await f.shop.addProduct('A', 1000, 10);
    await f.shop.checkout('o1', 'c1', [{ sku: 'A', quantity: 6, price: 1000 }]);
    await f.shop.checkout('o2', 'user.with*odd>chars', [{ sku: 'A', quantity: 1, price: 1000 }], 'decline');
    await settle(f.es.client, [runner]);
    await eventually('4 notifications', () => distinctIds(received).size === 4);
    const unsent = await f.db.knex('notification_outbox').whereNull('sent_at').count({ n: '*' }).first();
    await eventually(
      'all marked sent',
      async () => Number((await f.db.knex('notification_outbox').whereNull('sent_at').count({ n: '*' }).first())!.n) === 0,
    );
    assert.ok(unsent !== undefined);
    const byUser = (userId: string) => received.filter((message) => message.userId === userId).map(({ type, seq }) => `${seq}:${type}`);
    assert.equal(byUser('c1'), ['1:OrderConfirmed']);
    assert.equal(byUser('user.with*odd>chars'), ['1:PaymentDeclined', '2:OrderCancelled']);
    assert.equal(byUser('*'), ['1:LowStock']);
    // The subject names the user, escaped to one token.
    const jsm = await setup.nats.jetstreamManager();
    const info = await jsm.streams.info(setup.stream, { subjects_filter: '>' });
    assert.equal(Object.keys(info.state.subjects ?? {}).sort(), [
      `${prefix}.admin`,
      `${prefix}.customer.c1`,
      `${prefix}.customer.user%2Ewith%2Aodd%3Echars`,
    ]);
  } finally {
    // Stopped even when an assertion failed, so its retry loop cannot keep the process alive.
    await notifier?.stop();
    await tearDown(setup);
  }
});

test('with NATS unreachable at start and again mid-way, nothing is lost: all arrive once it is back', async () => {
  const setup = await setUp();
  const { f, received } = setup;
  const relay = new NatsRelay(await NatsRelay.freePort());
  let notifier: OutboxPublisher | undefined;
  try {
    const runner = f.runner(notificationsProjection({ lowStockThreshold: 5 })).start();
    // The relay's port is closed: the publisher starts with NATS unreachable.
    const unreachable = (notifier = publisher(setup, `nats://127.0.0.1:${relay.port}`).start());
    await f.shop.addProduct('A', 1000, 100);
    for (let i = 1; i <= 5; i++)
      await f.shop.checkout(`o${i}`, `c${i % 2}`, [{ sku: 'A', quantity: 1, price: 1000 }], i % 2 ? 'confirm' : 'decline');
    await settle(f.es.client, [runner]);
    await eventually('the notifier to fail and wait to retry', () => unreachable.state === 'retrying');
    assert.is(received.length, 0, 'nothing could be sent');
    // Between attempts it waits out its backoff, then takes its lock and connects again: on a
    // loaded machine the sample may land in either; what matters is that it is not publishing.
    assert.ok(['retrying', 'waiting_for_lock', 'connecting'].includes(notifier.state), `state ${notifier.state}`);
    const total = Number((await f.db.knex('notifications').count({ n: '*' }).first())!.n);
    assert.is(total, 3 + 2 * 2);

    await relay.up();
    await eventually(`${total} notifications after NATS came back`, () => distinctIds(received).size === total);

    // Down again while more notifications are written, then back.
    await relay.down();
    for (let i = 6; i <= 9; i++) await f.shop.checkout(`o${i}`, `c${i % 2}`, [{ sku: 'A', quantity: 1, price: 1000 }], 'confirm');
    await settle(f.es.client, [runner]);
    await eventually('the notifier to notice the outage', () => unreachable.state === 'retrying');
    await relay.up();
    await eventually('the notifications written during the second outage', () => distinctIds(received).size === total + 4);
    await eventually(
      'all marked sent',
      async () => Number((await f.db.knex('notification_outbox').whereNull('sent_at').count({ n: '*' }).first())!.n) === 0,
    );
    const rows = await f.db.knex('notifications').pluck('notification_id');
    assert.equal(distinctIds(received), new Set(rows), 'every notification arrived');
  } finally {
    await notifier?.stop();
    await relay.down();
    await tearDown(setup);
  }
});

test.run();
