/**
 * For the query API's tests: a real query API on an ephemeral port, over a Postgres schema of
 * its own holding the projectors' read-model tables, and the real NATS under a subject prefix of
 * its own (so parallel test files never hear each other). Rows are seeded straight into the
 * tables: the projections that normally write them are tested on their own.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mintToken, type Role, type TokenVerifier } from '../../platform/auth';
import { listenOnEphemeralPort } from '../../platform/testing/ports';
import { createLogger, type Logger } from '../../platform/logger';
import { closeNats, connectNats, subjectToken, type NatsConnection } from '../../platform/nats';
import { natsNotificationSource } from '../../platform/notification-bus';
import { migrateToLatest, type Knex } from '../../platform/postgres';
import { createTestSchema, type TestSchema } from '../../platform/testing/postgres-schema';
import { readModelMigrations } from '../../projectors/migrations';
import { buildQueryApi, type QueryApi, type QueryApiSettings } from '../app';
import type { Notification } from '../notifications/notification-store';

export const TEST_JWT_SECRET = 'query-api-tests-secret-0123456789abcdef';
export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export interface RunningQueryApi {
  app: QueryApi;
  baseUrl: string;
  db: TestSchema;
  knex: Knex;
  nats: NatsConnection;
  subjectPrefix: string;
  token(sub: string, role?: Role): Promise<string>;
  /** GET with a bearer token; answers status, headers and parsed body. */
  get(
    path: string,
    options?: { token?: string; headers?: Record<string, string> },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read whichever fields of the JSON they assert on
  ): Promise<{ status: number; headers: Headers; body: any }>;
  close(): Promise<void>;
}

export async function startQueryApi({
  readYourWritesTimeoutMs = 5000,
  logger: given,
  settings = {},
  tokens,
}: {
  readYourWritesTimeoutMs?: number;
  logger?: Logger;
  settings?: Partial<Omit<QueryApiSettings, 'jwtSecret'>>;
  /** Verifies tokens instead of TEST_JWT_SECRET (e.g. a test identity provider's); `token()` still mints HS256. */
  tokens?: TokenVerifier;
} = {}): Promise<RunningQueryApi> {
  const db = await createTestSchema('t_query');
  await migrateToLatest(db.knex, readModelMigrations, { schema: db.schema });
  const nats = await connectNats({ url: TEST_NATS_URL, name: 'query-api-test' });
  const subjectPrefix = `test_${randomBytes(4).toString('hex')}.notifications`;
  const logger =
    given ?? createLogger({ service: 'query-api-test', level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent' });
  const app = await buildQueryApi({
    knex: db.knex,
    notifications: natsNotificationSource(nats, { logger }),
    logger,
    config: {
      ...(tokens ? { tokens } : { jwtSecret: TEST_JWT_SECRET }),
      readYourWritesTimeoutMs,
      notificationsSubjectPrefix: subjectPrefix,
      ...settings,
    },
  });
  const baseUrl = await listenOnEphemeralPort(app);
  return {
    app,
    baseUrl,
    db,
    knex: db.knex,
    nats,
    subjectPrefix,
    token: (sub, role = 'customer') => mintToken({ sub, role, secret: TEST_JWT_SECRET }),
    async get(path, { token, headers = {} } = {}) {
      const response = await fetch(`${baseUrl}${path}`, {
        headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await app.close();
      await closeNats(nats);
      await db.drop();
    },
  };
}

// ---- seeding -----------------------------------------------------------------------------

export interface SeedOrder {
  orderId?: string;
  customerId: string;
  status?: 'placed' | 'cancellation_requested' | 'confirmed' | 'cancelled';
  placedAt?: Date;
  lines?: { sku: string; quantity: number; unitPrice: { amount: number; currency: string } }[];
  position?: bigint;
}

export async function insertOrder(knex: Knex, order: SeedOrder): Promise<string> {
  const orderId = order.orderId ?? randomUUID();
  const lines = order.lines ?? [{ sku: 'SKU-1', quantity: 2, unitPrice: { amount: 1250, currency: 'EUR' } }];
  const placedAt = order.placedAt ?? new Date();
  const total = lines.reduce((sum, line) => sum + line.quantity * line.unitPrice.amount, 0);
  await knex('orders').insert({
    order_id: orderId,
    customer_id: order.customerId,
    status: order.status ?? 'placed',
    lines: JSON.stringify(lines),
    total_amount: total,
    currency: lines[0]!.unitPrice.currency,
    payment_status: 'pending',
    placed_at: placedAt,
    updated_at: placedAt,
    timeline: JSON.stringify([{ type: 'OrderPlaced', at: placedAt.toISOString(), stream: 'order', revision: 0 }]),
    order_revision: 0,
    last_position: String(order.position ?? 1n),
  });
  return orderId;
}

export async function setCheckpoint(knex: Knex, projection: string, commit: bigint): Promise<void> {
  await knex('projection_checkpoints')
    .insert({ projection, commit_position: String(commit), prepare_position: String(commit) })
    .onConflict('projection')
    .merge();
}

export interface SeedNotification {
  userId: string;
  audience?: 'customer' | 'admin';
  type?: string;
  orderId?: string | null;
  position: bigint;
  data?: Record<string, unknown>;
}

/** Inserts a notification (next seq for its user) with its outbox row, as the projection would; answers its payload. */
export async function insertNotification(knex: Knex, seed: SeedNotification): Promise<Notification> {
  const audience = seed.audience ?? 'customer';
  return knex.transaction(async (trx) => {
    const [counter] = (await trx('notification_counters')
      .insert({ audience, user_id: seed.userId, last_seq: 1 })
      .onConflict(['audience', 'user_id'])
      .merge({ last_seq: trx.raw('notification_counters.last_seq + 1') })
      .returning('last_seq')) as { last_seq: number }[];
    const at = new Date();
    const notification: Notification = {
      id: randomUUID(),
      seq: counter!.last_seq,
      audience,
      userId: seed.userId,
      type: seed.type ?? 'OrderConfirmed',
      orderId: seed.orderId === undefined ? randomUUID() : seed.orderId,
      sku: null,
      at: at.toISOString(),
      data: seed.data ?? { total: { amount: 2500, currency: 'EUR' } },
    };
    await trx('notifications').insert({
      notification_id: notification.id,
      audience,
      user_id: seed.userId,
      seq: notification.seq,
      type: notification.type,
      order_id: notification.orderId,
      sku: null,
      occurred_at: at,
      data: JSON.stringify(notification.data),
      position: String(seed.position),
    });
    await trx('notification_outbox').insert({
      notification_id: notification.id,
      subject: subjectOf(notification),
      payload: JSON.stringify(notification),
    });
    return notification;
  });
}

/** The subject below the prefix, as the notifier publishes it. */
export function subjectOf(notification: Pick<Notification, 'audience' | 'userId'>): string {
  return notification.audience === 'admin' ? 'admin' : `customer.${subjectToken(notification.userId)}`;
}

/** Publishes `notification` as the notifier would (after its commit). */
export async function publishNotification(nats: NatsConnection, subjectPrefix: string, notification: Notification): Promise<void> {
  nats.publish(`${subjectPrefix}.${subjectOf(notification)}`, JSON.stringify(notification));
  await nats.flush();
}
