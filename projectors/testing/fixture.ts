/**
 * Test support for the projectors: a shop that writes realistic events through the domain's
 * deciders and the real client (as the command API and the saga do), and a fixture with an
 * emulator, a schema of its own and projections to run.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import {
  shopCodec,
  inventoryDecider,
  inventoryStream,
  orderDecider,
  orderStream,
  paymentDecider,
  paymentStream,
  type CancellationReason,
  type InventoryCommand,
  type OrderCommand,
  type PaymentCommand,
} from '../../domain';
import { checkoutSchemaVersion } from '../../domain/checkout/events';
import { startEmulatorWithClient, type EmulatorFixture } from '../../eventstore-emulator/testing/fixture';
import { appendEvents, commandHandler, type CausationMetadata, type Position } from '../../platform/eventstore';
import { createLogger, type Logger } from '../../platform/logger';
import { migrateToLatest } from '../../platform/postgres';
import { createTestSchema, type TestSchema } from '../../platform/testing/postgres-schema';
import type { BatchOptions } from '../framework/batcher';
import { ProjectorMetrics } from '../framework/metrics';
import { ProjectionRunner, runTogether, type RunnerOptions } from '../framework/runner';
import type { Projection } from '../framework/types';
import { readModelMigrations } from '../migrations';
import { Registry } from 'prom-client';

const metadata = (actor: string): CausationMetadata => ({ correlationId: 'test', causationId: 'test', actor });

export interface Line {
  sku: string;
  quantity: number;
  price: number;
}

/** Writes the shop's events the way the services do: decide on the stream's state, append. */
export class Shop {
  private tick = 0;
  constructor(readonly client: EventStoreDBClient) {}

  /** A clock that moves a second per call, from 2026-01-01, so rows are the same on every run. */
  now(): string {
    return new Date(Date.UTC(2026, 0, 1) + 1000 * this.tick++).toISOString();
  }

  async inventory(command: InventoryCommand): Promise<Position | undefined> {
    const outcome = await commandHandler({ client: this.client, decider: inventoryDecider, codec: shopCodec }).handle(
      inventoryStream(command.data.sku),
      command,
      { metadata: metadata('admin') },
    );
    return outcome.position;
  }

  async order(command: OrderCommand): Promise<Position | undefined> {
    const outcome = await commandHandler({ client: this.client, decider: orderDecider, codec: shopCodec }).handle(
      orderStream(command.data.orderId),
      command,
      { metadata: metadata('system:saga') },
    );
    return outcome.position;
  }

  async payment(command: PaymentCommand): Promise<Position | undefined> {
    const outcome = await commandHandler({ client: this.client, decider: paymentDecider, codec: shopCodec }).handle(
      paymentStream(command.data.orderId),
      command,
      { metadata: metadata('system:saga') },
    );
    return outcome.position;
  }

  /** A saga step on `checkout-{orderId}` (written as the saga writes it, version from its catalogue). */
  async checkoutStep(orderId: string, type: string, data: Record<string, unknown>): Promise<Position> {
    const event = { type, data: { orderId, ...data } };
    const outcome = await appendEvents(this.client, `checkout-${orderId}`, [event], {
      expectedRevision: 'any',
      metadata: metadata('system:saga'),
      codec: { schemaVersionOf: () => (checkoutSchemaVersion as Record<string, number>)[type] ?? 1, decode: () => event },
    });
    return outcome.position;
  }

  async addProduct(sku: string, price: number, stock: number): Promise<void> {
    await this.inventory({ type: 'RegisterProduct', data: { sku, name: `Product ${sku}`, price: { amount: price, currency: 'EUR' } } });
    if (stock > 0) await this.inventory({ type: 'ReceiveStock', data: { sku, quantity: stock } });
  }

  /**
   * One whole checkout, as the saga drives it: place, reserve each line, then either pay and
   * confirm, or compensate. Answers the position of the last event written (the saga's last step).
   */
  async checkout(
    orderId: string,
    customerId: string,
    lines: readonly Line[],
    outcome: 'confirm' | 'decline' | 'customer_cancels' | 'timeout' = 'confirm',
  ): Promise<Position> {
    const orderLines = lines.map(({ sku, quantity, price }) => ({ sku, quantity, unitPrice: { amount: price, currency: 'EUR' } }));
    await this.order({
      type: 'PlaceOrder',
      data: { orderId, customerId, lines: orderLines, paymentToken: 'tok_approve', placedAt: this.now() },
    });
    const total = lines.reduce((sum, { quantity, price }) => sum + quantity * price, 0);
    const startedAt = this.now();
    await this.checkoutStep(orderId, 'CheckoutStarted', {
      customerId,
      lines: orderLines,
      total: { amount: total, currency: 'EUR' },
      paymentToken: 'tok_approve',
      paymentDeadlineMs: 30_000,
      checkoutDeadline: new Date(Date.parse(startedAt) + 60_000).toISOString(),
      startedAt,
    });
    const reserved: string[] = [];
    const release = async () => {
      for (const sku of reserved) await this.inventory({ type: 'ReleaseStock', data: { sku, orderId } });
    };
    for (const { sku, quantity } of lines) {
      const reservation = await commandHandler({ client: this.client, decider: inventoryDecider, codec: shopCodec }).handle(
        inventoryStream(sku),
        { type: 'ReserveStock', data: { sku, orderId, quantity } },
        {
          metadata: metadata('system:saga'),
        },
      );
      const rejected = reservation.events.find((event) => event.type === 'StockReservationRejected');
      if (rejected) {
        await this.checkoutStep(orderId, 'StockReservationRejectedForLine', {
          sku,
          quantity,
          available: rejected.data.available,
          rejectedAt: this.now(),
        });
        await release();
        await this.order({ type: 'CancelOrder', data: { orderId, reason: 'out_of_stock', sku, cancelledAt: this.now() } });
        return this.checkoutStep(orderId, 'CheckoutCompensated', { why: { reason: 'out_of_stock', sku }, compensatedAt: this.now() });
      }
      reserved.push(sku);
      await this.checkoutStep(orderId, 'StockReservedForLine', { sku, quantity, reservedAt: this.now() });
    }
    if (outcome === 'decline') {
      await this.payment({ type: 'RecordPaymentDeclined', data: { orderId, reason: 'card_declined', declinedAt: this.now() } });
      await release();
      await this.order({ type: 'CancelOrder', data: { orderId, reason: 'payment_declined', cancelledAt: this.now() } });
      return this.checkoutStep(orderId, 'CheckoutCompensated', { why: { reason: 'payment_declined' }, compensatedAt: this.now() });
    }
    if (outcome === 'timeout') {
      await this.payment({ type: 'RecordPaymentTimedOut', data: { orderId, timedOutAt: this.now() } });
      await release();
      await this.order({ type: 'CancelOrder', data: { orderId, reason: 'payment_timed_out', cancelledAt: this.now() } });
      return this.checkoutStep(orderId, 'CheckoutCompensated', { why: { reason: 'payment_timed_out' }, compensatedAt: this.now() });
    }
    if (outcome === 'customer_cancels') {
      await this.order({ type: 'RequestOrderCancellation', data: { orderId, requestedBy: customerId, requestedAt: this.now() } });
      await release();
      await this.order({
        type: 'CancelOrder',
        data: { orderId, reason: 'customer_request' satisfies CancellationReason, cancelledAt: this.now() },
      });
      return this.checkoutStep(orderId, 'CheckoutCompensated', { why: { reason: 'customer_request' }, compensatedAt: this.now() });
    }
    await this.payment({
      type: 'AuthorizePayment',
      data: { orderId, amount: total, currency: 'EUR', providerReference: `ref-${orderId}`, authorizedAt: this.now() },
    });
    await this.payment({ type: 'CapturePayment', data: { orderId, capturedAt: this.now() } });
    await this.order({ type: 'ConfirmOrder', data: { orderId, confirmedAt: this.now() } });
    for (const { sku } of lines) await this.inventory({ type: 'CommitStock', data: { sku, orderId } });
    return this.checkoutStep(orderId, 'CheckoutCompleted', { completedAt: this.now() });
  }
}

export interface ProjectorTestFixture {
  readonly es: EmulatorFixture;
  readonly db: TestSchema;
  readonly shop: Shop;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly metrics: ProjectorMetrics;
  /** A runner for `projection` on this schema and emulator (not started). */
  runner(
    projection: Projection,
    options?: { batch?: BatchOptions; client?: EventStoreDBClient; feed?: RunnerOptions['feed'] },
  ): ProjectionRunner;
  /** Runners for `projections` in one group, as the projector service runs them (not started). */
  group(projections: readonly Projection[], options?: { batch?: BatchOptions }): ProjectionRunner[];
  close(): Promise<void>;
}

export async function startProjectorTestFixture(): Promise<ProjectorTestFixture> {
  const es = await startEmulatorWithClient();
  const db = await createTestSchema();
  await migrateToLatest(db.knex, readModelMigrations, { schema: db.schema });
  const logger = createLogger({ service: 'projectors-test', level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent' });
  const registry = new Registry();
  const metrics = new ProjectorMetrics(registry, es.client);
  const runners: ProjectionRunner[] = [];
  const runnerOptions: RunnerOptions = {
    knex: db.knex,
    client: es.client,
    databaseUrl: db.url,
    schema: db.schema,
    logger,
    metrics,
    retry: { initialMs: 50, maxMs: 500 },
  };
  return {
    es,
    db,
    shop: new Shop(es.client),
    logger,
    registry,
    metrics,
    runner(projection, options = {}) {
      const runner = new ProjectionRunner(projection, {
        ...runnerOptions,
        client: options.client ?? es.client,
        ...(options.batch ? { batch: options.batch } : {}),
        ...(options.feed ? { feed: options.feed } : {}),
      });
      runners.push(runner);
      return runner;
    },
    group(projections, options = {}) {
      const group = runTogether(projections, { ...runnerOptions, ...(options.batch ? { batch: options.batch } : {}) });
      runners.push(...group);
      return group;
    },
    async close() {
      await Promise.all(runners.map((runner) => runner.stop()));
      await db.drop();
      await es.close();
    },
  };
}

/** Runs `body` with a fresh fixture, closed afterwards whatever happens. */
export async function withProjectorFixture(body: (f: ProjectorTestFixture) => Promise<void>): Promise<void> {
  const f = await startProjectorTestFixture();
  try {
    await body(f);
  } finally {
    await f.close();
  }
}

/** The read models' rows, ordered, without what legitimately differs between two builds. */
export async function snapshotReadModels(knex: import('knex').Knex): Promise<Record<string, unknown[]>> {
  const tables: Record<string, { orderBy: string[]; omit?: string[] }> = {
    orders: { orderBy: ['order_id'] },
    products: { orderBy: ['sku'] },
    checkout_progress: { orderBy: ['order_id'] },
    sales_order_lines: { orderBy: ['order_id', 'sku'] },
    sales_daily: { orderBy: ['day', 'sku', 'currency'] },
    notifications: { orderBy: ['audience', 'user_id', 'seq'] },
    notification_counters: { orderBy: ['audience', 'user_id'] },
    // The outbox id comes from a sequence, which a rolled-back transaction does not give back.
    notification_outbox: { orderBy: ['id'], omit: ['id', 'created_at', 'sent_at', 'attempts', 'last_error'] },
    notification_orders: { orderBy: ['order_id'] },
    notification_stock: { orderBy: ['sku'] },
  };
  const snapshot: Record<string, unknown[]> = {};
  for (const [table, { orderBy, omit = [] }] of Object.entries(tables)) {
    const rows = (await knex(table).orderBy(orderBy)) as Record<string, unknown>[];
    snapshot[table] = rows.map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => !omit.includes(column))));
  }
  return snapshot;
}

/** The position of the newest event in streams starting with one of `prefixes` (system records aside). */
export async function lastPositionIn(client: EventStoreDBClient, prefixes: readonly string[]): Promise<Position | undefined> {
  const { BACKWARDS, END } = await import('@eventstore/db-client');
  let found: Position | undefined;
  // Read to the end rather than break out: a read abandoned half-way keeps the client from closing.
  for await (const { event } of client.readAll({ direction: BACKWARDS, fromPosition: END })) {
    if (!found && event?.position && !event.type.startsWith('$') && prefixes.some((prefix) => event.streamId.startsWith(prefix)))
      found = event.position;
  }
  return found;
}

/** Resolves when every runner has applied every event of its streams written so far. */
export async function settle(client: EventStoreDBClient, runners: readonly ProjectionRunner[], timeoutMs = 30_000): Promise<void> {
  await Promise.all(
    runners.map(async (runner) => {
      const target = await lastPositionIn(client, runner.projection.streamPrefixes);
      if (target) await runner.waitForPosition(target, timeoutMs);
    }),
  );
}
