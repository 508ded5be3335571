/**
 * Test support for the saga: a fresh emulator, a real payment sandbox on an ephemeral port,
 * helpers to set up stock and place orders the way the command API does (domain deciders through
 * the event store adapter), to wait for checkout outcomes, and to check the invariants every
 * checkout must leave behind.
 */
import { START, eventTypeFilter, type EventStoreDBClient } from '@eventstore/db-client';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import {
  inventoryCodec,
  inventoryDecider,
  inventoryStream,
  orderCodec,
  orderDecider,
  orderStream,
  paymentCodec,
  paymentDecider,
  paymentStream,
  type InventoryState,
  type OrderState,
  type PaymentState,
} from '../../domain';
import { checkoutCodec, checkoutDecider, checkoutStream, type CheckoutEvent, type CheckoutState } from '../../domain/checkout';
import { startEmulatorWithClient, type EmulatorFixture } from '../../eventstore-emulator/testing/fixture';
import { commandHandler, foldStream, readStreamEvents } from '../../platform/eventstore';
import { createLogger, type Logger } from '../../platform/logger';
import { httpPaymentProvider } from '../payment/http-provider';
import { createPaymentSandbox, type PaymentSandbox } from '../payment-sandbox/server';
import { TEST_SANDBOX_KEY } from './saga-process';
import type { SagaSettings } from '../config';
import { startSaga, type RunningSaga, type SagaOptions } from '../service';

export const fastSettings: Partial<SagaSettings> = {
  paymentDeadlineMs: 800,
  checkoutDeadlineMs: 20_000,
  retryBackoff: { initialMs: 20, maxMs: 500 },
};

export interface Outcome {
  type: 'CheckoutCompleted' | 'CheckoutCompensated';
  why?: { reason: string; sku?: string };
}

export class SagaFixture {
  readonly sagas: RunningSaga[] = [];
  private readonly outcomes = new Map<string, Outcome>();
  private readonly waiters = new Map<string, ((outcome: Outcome) => void)[]>();
  private outcomeSubscription: ReturnType<EventStoreDBClient['subscribeToAll']> | undefined;
  readonly received = new Map<string, number>();

  private constructor(
    readonly es: EmulatorFixture,
    readonly sandbox: PaymentSandbox,
    readonly sandboxUrl: string,
    readonly logger: Logger,
  ) {}

  static async start({
    sagas = 1,
    settings = fastSettings,
    persistentTickMs = 100,
    interceptDelivery,
  }: {
    sagas?: number;
    settings?: Partial<SagaSettings>;
    persistentTickMs?: number;
    interceptDelivery?: SagaOptions['interceptDelivery'];
  } = {}): Promise<SagaFixture> {
    const es = await startEmulatorWithClient({ persistentTickMs });
    const sandbox = createPaymentSandbox({ key: TEST_SANDBOX_KEY });
    await sandbox.app.listen({ port: 0, host: '127.0.0.1' });
    const sandboxUrl = `http://127.0.0.1:${(sandbox.app.server.address() as AddressInfo).port}`;
    const logger = createLogger({ service: 'saga-test', level: (process.env.SAGA_TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent' });
    const fixture = new SagaFixture(es, sandbox, sandboxUrl, logger);
    fixture.followOutcomes();
    for (let i = 0; i < sagas; i++) await fixture.startSaga(settings, undefined, interceptDelivery);
    return fixture;
  }

  get client(): EventStoreDBClient {
    return this.es.client;
  }

  async startSaga(
    settings: Partial<SagaSettings> = fastSettings,
    boundary?: (point: string) => void,
    interceptDelivery?: SagaOptions['interceptDelivery'],
  ): Promise<RunningSaga> {
    const paymentDeadlineMs = settings.paymentDeadlineMs ?? fastSettings.paymentDeadlineMs!;
    const saga = await startSaga({
      client: this.es.newClient(),
      provider: httpPaymentProvider({ baseUrl: this.sandboxUrl, key: TEST_SANDBOX_KEY, timeoutMs: paymentDeadlineMs + 1000 }),
      logger: this.logger,
      registry: new Registry(),
      settings,
      ...(boundary ? { boundary } : {}),
      ...(interceptDelivery ? { interceptDelivery } : {}),
    });
    this.sagas.push(saga);
    return saga;
  }

  private followOutcomes(): void {
    const subscription = this.es
      .newClient()
      .subscribeToAll({ fromPosition: START, filter: eventTypeFilter({ prefixes: ['CheckoutCompleted', 'CheckoutCompensated'] }) });
    this.outcomeSubscription = subscription;
    subscription.on('data', ({ event }) => {
      if (!event) return;
      const data = event.data as { orderId: string; why?: { reason: string; sku?: string } };
      const outcome: Outcome =
        event.type === 'CheckoutCompleted'
          ? { type: 'CheckoutCompleted' }
          : { type: 'CheckoutCompensated', ...(data.why ? { why: data.why } : {}) };
      this.received.set(data.orderId, (this.received.get(data.orderId) ?? 0) + 1);
      this.outcomes.set(data.orderId, outcome);
      for (const resolve of this.waiters.get(data.orderId) ?? []) resolve(outcome);
      this.waiters.delete(data.orderId);
    });
    subscription.on('error', () => {});
  }

  outcome(orderId: string): Outcome | undefined {
    return this.outcomes.get(orderId);
  }

  waitForOutcome(orderId: string, timeoutMs = 15_000): Promise<Outcome> {
    const known = this.outcomes.get(orderId);
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no outcome for order ${orderId} within ${timeoutMs} ms`)), timeoutMs);
      const list = this.waiters.get(orderId) ?? [];
      list.push((outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
      this.waiters.set(orderId, list);
    });
  }

  async waitForOutcomes(orderIds: readonly string[], timeoutMs = 60_000): Promise<Map<string, Outcome>> {
    const results = await Promise.all(orderIds.map(async (orderId) => [orderId, await this.waitForOutcome(orderId, timeoutMs)] as const));
    return new Map(results);
  }

  // ---- the shop, as the command API would drive it ---------------------------------------------

  async addProduct(sku: string, stock: number, price = 1000): Promise<void> {
    const metadata = { correlationId: `setup-${sku}`, causationId: `setup-${sku}`, actor: 'test' };
    const products = commandHandler({ client: this.client, decider: inventoryDecider, codec: inventoryCodec });
    await products.handle(
      inventoryStream(sku),
      { type: 'RegisterProduct', data: { sku, name: `Product ${sku}`, price: { amount: price, currency: 'EUR' } } },
      { metadata },
    );
    if (stock > 0) await products.handle(inventoryStream(sku), { type: 'ReceiveStock', data: { sku, quantity: stock } }, { metadata });
  }

  async placeOrder(
    orderId: string,
    lines: { sku: string; quantity: number; price?: number }[],
    paymentToken = 'tok_ok',
    customerId = 'customer-1',
  ): Promise<void> {
    const metadata = { correlationId: `request-${orderId}`, causationId: `request-${orderId}`, actor: customerId };
    await commandHandler({ client: this.client, decider: orderDecider, codec: orderCodec }).handle(
      orderStream(orderId),
      {
        type: 'PlaceOrder',
        data: {
          orderId,
          customerId,
          lines: lines.map(({ sku, quantity, price = 1000 }) => ({ sku, quantity, unitPrice: { amount: price, currency: 'EUR' } })),
          paymentToken,
          placedAt: new Date().toISOString(),
        },
      },
      { metadata, retry: 'never', idempotencyKey: orderId },
    );
  }

  async requestCancellation(orderId: string, customerId = 'customer-1'): Promise<void> {
    const metadata = { correlationId: `cancel-${orderId}`, causationId: `cancel-${orderId}`, actor: customerId };
    await commandHandler({ client: this.client, decider: orderDecider, codec: orderCodec }).handle(
      orderStream(orderId),
      { type: 'RequestOrderCancellation', data: { orderId, requestedBy: customerId, requestedAt: new Date().toISOString() } },
      { metadata },
    );
  }

  // ---- reading back ----------------------------------------------------------------------------

  async checkoutEvents(orderId: string): Promise<CheckoutEvent[]> {
    const { events } = await readStreamEvents(this.client, checkoutStream(orderId), { codec: checkoutCodec });
    return events.map(({ event }) => event);
  }

  async checkout(orderId: string): Promise<CheckoutState> {
    return (await foldStream(this.client, checkoutStream(orderId), checkoutDecider, { codec: checkoutCodec })).state;
  }

  async order(orderId: string): Promise<OrderState> {
    return (await foldStream(this.client, orderStream(orderId), orderDecider, { codec: orderCodec })).state;
  }

  async payment(orderId: string): Promise<PaymentState> {
    return (await foldStream(this.client, paymentStream(orderId), paymentDecider, { codec: paymentCodec })).state;
  }

  async paymentEventTypes(orderId: string): Promise<string[]> {
    return (await readStreamEvents(this.client, paymentStream(orderId), { codec: paymentCodec })).events.map(({ event }) => event.type);
  }

  async inventory(sku: string): Promise<Extract<InventoryState, { status: 'registered' }>> {
    const { state } = await foldStream(this.client, inventoryStream(sku), inventoryDecider, { codec: inventoryCodec });
    if (state.status !== 'registered') throw new Error(`${sku} is not registered`);
    return state;
  }

  async inventoryEventTypes(sku: string): Promise<string[]> {
    return (await readStreamEvents(this.client, inventoryStream(sku), { codec: inventoryCodec })).events.map(
      ({ event }) => `${event.type}${'orderId' in event.data ? `:${event.data.orderId}` : ''}`,
    );
  }

  /**
   * What every finished checkout must leave behind; returns the problems found (empty = all good):
   * each order has exactly one outcome, matching the order's status; no captured (unrefunded)
   * payment without a confirmed order; no authorization left open at the provider; no
   * reservation left behind; on hand + sold = received for every SKU, sold = confirmed quantities.
   */
  async invariantViolations(
    orderIds: readonly string[],
    skus: readonly string[],
    received: Readonly<Record<string, number>>,
  ): Promise<string[]> {
    const problems: string[] = [];
    const soldBySku = new Map<string, number>();
    await Promise.all(
      orderIds.map(async (orderId) => {
        const [checkoutEvents, order, payment] = await Promise.all([
          this.checkoutEvents(orderId),
          this.order(orderId),
          this.payment(orderId),
        ]);
        const outcomes = checkoutEvents.filter((event) => event.type === 'CheckoutCompleted' || event.type === 'CheckoutCompensated');
        if (outcomes.length !== 1) problems.push(`${orderId}: ${outcomes.length} outcomes`);
        const outcome = outcomes[0]?.type;
        if (order.status === 'not_placed') return void problems.push(`${orderId}: order not placed`);
        if (outcome === 'CheckoutCompleted' && order.status !== 'confirmed')
          problems.push(`${orderId}: completed but order ${order.status}`);
        if (outcome === 'CheckoutCompensated' && order.status !== 'cancelled')
          problems.push(`${orderId}: compensated but order ${order.status}`);
        if (payment.status === 'captured' && order.status !== 'confirmed')
          problems.push(`${orderId}: payment captured without a confirmed order`);
        if (order.status === 'confirmed' && payment.status !== 'captured')
          problems.push(`${orderId}: confirmed without a captured payment (${payment.status})`);
        const atProvider = this.sandbox.authorizations.get(`${orderId}/authorize`);
        if (atProvider?.status === 'authorized') problems.push(`${orderId}: authorization left open at the provider`);
        if (atProvider?.status === 'captured' && order.status !== 'confirmed')
          problems.push(`${orderId}: captured at the provider without a confirmed order`);
        if (order.status === 'confirmed')
          for (const line of order.lines) soldBySku.set(line.sku, (soldBySku.get(line.sku) ?? 0) + line.quantity);
      }),
    );
    for (const sku of skus) {
      const stock = await this.inventory(sku);
      if (stock.reservedByOrder.size > 0)
        problems.push(`${sku}: reservations left behind for ${[...stock.reservedByOrder.keys()].join(', ')}`);
      if (stock.onHand + stock.sold !== (received[sku] ?? 0))
        problems.push(`${sku}: on hand ${stock.onHand} + sold ${stock.sold} ≠ received ${received[sku]}`);
      if (stock.onHand < 0) problems.push(`${sku}: on hand below zero`);
      if (stock.sold !== (soldBySku.get(sku) ?? 0))
        problems.push(`${sku}: sold ${stock.sold} ≠ confirmed quantities ${soldBySku.get(sku) ?? 0}`);
    }
    return problems;
  }

  async close(): Promise<void> {
    await Promise.all(this.sagas.map((saga) => saga.stop()));
    await this.outcomeSubscription?.unsubscribe().catch(() => {});
    await this.sandbox.app.close();
    await this.es.close();
  }
}
