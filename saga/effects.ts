/**
 * What each checkout step and compensation does in the world: commands to the inventory, order
 * and payment aggregates (through their deciders, so every rule holds and a repeat is a no-op)
 * and calls to the payment provider (with an idempotency key per order and step, so a repeat has
 * no second effect). Each function here may run twice for one step (a crash before the step was
 * recorded, a redelivery): that is why each is idempotent, and why answers are read back from the
 * aggregate's state when the command had nothing left to do.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import {
  inventoryCodec,
  inventoryDecider,
  isDomainError,
  orderCodec,
  orderDecider,
  paymentCodec,
  paymentDecider,
  type InventoryCommand,
  type OrderEvent,
  type PaymentCommand,
} from '../domain';
import type { Compensation, CompensationReason, StartedCheckout, Step, StepOutcome } from '../domain/checkout';
import { inventoryStream, orderStream, paymentStream } from '../domain/stream-names';
import { commandHandler, type CausationMetadata } from '../platform/eventstore';
import type { Logger } from '../platform/logger';
import { TransientPaymentError, type PaymentProvider } from './payment/port';

export type CompensationResult = { ok: true; note?: string } | { ok: false; error: string };

export interface EffectContext {
  readonly checkout: StartedCheckout;
  readonly metadata: CausationMetadata;
  readonly now: () => string;
  readonly signal?: AbortSignal;
  readonly why?: CompensationReason;
}

/** How the saga writes to an order's payment. */
interface PaymentWrite {
  /** Names the write in its idempotency key. */
  readonly step: string;
  /** A DomainError means the payment's history already says otherwise (a late answer): nothing to record. */
  readonly tolerateRefusal: boolean;
}

export const authorizationKey = (orderId: string) => `${orderId}/authorize`;

/**
 * The aggregates the saga writes, each with its state kept in memory: inventory streams are hot and
 * long, and the saga writes the same orders and payments over and over. Many saga processes
 * reserving one popular SKU is what the `'contended'` policy is for.
 */
function aggregates(client: EventStoreDBClient, logger: Logger) {
  return {
    stock: commandHandler({
      client,
      decider: inventoryDecider,
      codec: inventoryCodec,
      cache: { maxStreams: 10_000 },
      retry: 'contended',
      logger,
    }),
    payments: commandHandler({
      client,
      decider: paymentDecider,
      codec: paymentCodec,
      cache: { maxStreams: 5_000 },
      retry: 'contended',
      logger,
    }),
    /** Orders as placed (seeded from the delivered OrderPlaced), so confirming one needs no read. */
    orders: commandHandler({ client, decider: orderDecider, codec: orderCodec, cache: { maxStreams: 10_000 }, retry: 'contended', logger }),
  };
}

export class CheckoutEffects {
  private readonly aggregates: ReturnType<typeof aggregates>;

  constructor(
    client: EventStoreDBClient,
    private readonly provider: PaymentProvider,
    private readonly logger: Logger,
  ) {
    this.aggregates = aggregates(client, logger);
  }

  /**
   * The order's first event, as delivered to start its checkout: the order's state at that
   * revision. If the order has moved on since (the customer asked to cancel), confirming it
   * conflicts on the expected revision, reads what is new, and decides again.
   */
  orderPlaced(orderId: string, placed: Extract<OrderEvent, { type: 'OrderPlaced' }>, revision: bigint): void {
    if (revision === 0n)
      this.aggregates.orders.seed(orderStream(orderId), orderDecider.evolve(orderDecider.initialState(), placed), revision);
  }

  async runStep(step: Step, context: EffectContext): Promise<StepOutcome> {
    switch (step.kind) {
      case 'reserve_stock':
        return this.reserveStock(step.sku, step.quantity, context);
      case 'authorize_payment':
        return this.authorizePayment(context);
      case 'capture_payment':
        return this.capturePayment(context);
      case 'confirm_order':
        return this.confirmOrder(context);
    }
  }

  /** Transient failures come back as `{ ok: false }` (recorded, retried later); anything else throws. */
  async runCompensation(compensation: Compensation, context: EffectContext): Promise<CompensationResult> {
    try {
      switch (compensation.kind) {
        case 'release_stock':
          return await this.releaseStock(compensation.sku, context);
        case 'void_payment':
          return await this.voidPayment(context);
        case 'refund_payment':
          return await this.refundPayment(context);
        case 'cancel_order':
          return await this.cancelOrder(context);
      }
    } catch (error) {
      if (error instanceof TransientPaymentError) return { ok: false, error: error.message };
      throw error;
    }
  }

  // ---- forward steps -------------------------------------------------------------------

  private async reserveStock(sku: string, quantity: number, { checkout, metadata }: EffectContext): Promise<StepOutcome> {
    const { orderId } = checkout;
    try {
      const { events, state } = await this.inventory(
        sku,
        { type: 'ReserveStock', data: { sku, orderId, quantity } },
        metadata,
        `reserve/${orderId}`,
      );
      const event = events[0];
      if (event?.type === 'StockReserved') return { step: 'reserve_stock', sku, result: 'reserved' };
      if (event?.type === 'StockReservationRejected')
        return { step: 'reserve_stock', sku, result: 'rejected', available: event.data.available };
      // Already answered before (a repeat): read the answer from the stock's state.
      if (state.status === 'registered' && (state.reservedByOrder.has(orderId) || state.settledOrders.get(orderId) === 'committed')) {
        return { step: 'reserve_stock', sku, result: 'reserved' };
      }
      return { step: 'reserve_stock', sku, result: 'rejected', available: 0 };
    } catch (error) {
      // A SKU nobody registered cannot be sold: the same answer to the customer as no stock.
      if (isDomainError(error) && error.code === 'not_registered') return { step: 'reserve_stock', sku, result: 'rejected', available: 0 };
      throw error;
    }
  }

  private async authorizePayment({ checkout, metadata, now, signal }: EffectContext): Promise<StepOutcome> {
    const { orderId, total, paymentToken } = checkout;
    const answer = await this.provider.authorize({ idempotencyKey: authorizationKey(orderId), token: paymentToken, amount: total }, signal);
    if (answer.result === 'approved') {
      await this.payment(
        orderId,
        {
          type: 'AuthorizePayment',
          data: { orderId, amount: total.amount, currency: total.currency, providerReference: answer.authorizationId, authorizedAt: now() },
        },
        metadata,
        { step: 'authorize', tolerateRefusal: true },
      );
      return { step: 'authorize_payment', result: 'approved', providerReference: answer.authorizationId };
    }
    await this.payment(orderId, { type: 'RecordPaymentDeclined', data: { orderId, reason: answer.reason, declinedAt: now() } }, metadata, {
      step: 'decline',
      tolerateRefusal: true,
    });
    return { step: 'authorize_payment', result: 'declined', reason: answer.reason };
  }

  private async capturePayment({ checkout, metadata, now, signal }: EffectContext): Promise<StepOutcome> {
    const { orderId } = checkout;
    const answer = await this.provider.capture(
      { authorizationKey: authorizationKey(orderId), idempotencyKey: `${orderId}/capture` },
      signal,
    );
    if (answer.result === 'refused') return { step: 'capture_payment', result: 'refused', reason: answer.reason };
    await this.payment(orderId, { type: 'CapturePayment', data: { orderId, capturedAt: now() } }, metadata, {
      step: 'capture',
      tolerateRefusal: false,
    });
    return { step: 'capture_payment', result: 'captured' };
  }

  /** Confirms the order, then commits each line's stock (sold). Both are no-ops when repeated. */
  private async confirmOrder({ checkout, metadata, now }: EffectContext): Promise<StepOutcome> {
    const { orderId } = checkout;
    try {
      await this.aggregates.orders.handle(
        orderStream(orderId),
        { type: 'ConfirmOrder', data: { orderId, confirmedAt: now() } },
        { metadata, idempotencyKey: `confirm/${orderId}` },
      );
    } catch (error) {
      if (isDomainError(error) && (error.code === 'cancellation_requested' || error.code === 'order_already_final')) {
        return { step: 'confirm_order', result: 'refused', code: error.code };
      }
      throw error;
    }
    for (const { sku } of checkout.lines)
      await this.inventory(sku, { type: 'CommitStock', data: { sku, orderId } }, metadata, `commit/${orderId}`);
    return { step: 'confirm_order', result: 'confirmed' };
  }

  // ---- compensations -------------------------------------------------------------------

  private async releaseStock(sku: string, { checkout, metadata }: EffectContext): Promise<CompensationResult> {
    try {
      const { events } = await this.inventory(
        sku,
        { type: 'ReleaseStock', data: { sku, orderId: checkout.orderId } },
        metadata,
        `release/${checkout.orderId}`,
      );
      return events.length > 0 ? { ok: true } : { ok: true, note: 'nothing reserved' };
    } catch (error) {
      if (isDomainError(error)) return { ok: true, note: error.code };
      throw error;
    }
  }

  private async voidPayment({ checkout, metadata, now, why }: EffectContext): Promise<CompensationResult> {
    const { orderId, total } = checkout;
    if (why?.reason === 'payment_timed_out') {
      await this.payment(orderId, { type: 'RecordPaymentTimedOut', data: { orderId, timedOutAt: now() } }, metadata, {
        step: 'timed-out',
        tolerateRefusal: false,
      });
    }
    const answer = await this.provider.void({ authorizationKey: authorizationKey(orderId), idempotencyKey: `${orderId}/void` });
    if (answer.result === 'nothing_to_void') return { ok: true, note: 'nothing authorized' };
    if (answer.result === 'refused') {
      // A capture that was under way landed after the refund compensation looked: refund it now.
      const refunded = await this.refundPayment({ checkout, metadata, now, ...(why ? { why } : {}) });
      return refunded.ok ? { ok: true, note: `void refused (${answer.reason}); refunded` } : refunded;
    }
    const providerReference = answer.authorizationId;
    try {
      await this.payment(orderId, { type: 'VoidPayment', data: { orderId, voidedAt: now(), providerReference } }, metadata, {
        step: 'void',
        tolerateRefusal: false,
      });
    } catch (error) {
      if (!isDomainError(error) || error.code !== 'payment_not_authorized') throw error;
      // The authorization's answer never reached us (a cancellation abandoned it): record both.
      await this.payment(
        orderId,
        {
          type: 'AuthorizePayment',
          data: { orderId, amount: total.amount, currency: total.currency, providerReference, authorizedAt: now() },
        },
        metadata,
        { step: 'authorize', tolerateRefusal: false },
      );
      await this.payment(orderId, { type: 'VoidPayment', data: { orderId, voidedAt: now(), providerReference } }, metadata, {
        step: 'void',
        tolerateRefusal: false,
      });
    }
    return { ok: true };
  }

  private async refundPayment({ checkout, metadata, now }: EffectContext): Promise<CompensationResult> {
    const { orderId, total } = checkout;
    const answer = await this.provider.refund({ authorizationKey: authorizationKey(orderId), idempotencyKey: `${orderId}/refund` });
    if (answer.result === 'nothing_to_refund') return { ok: true, note: 'nothing captured' };
    const providerReference = answer.authorizationId;
    // What the provider did may not all be recorded yet (a crash, an abandoned call): record it in order.
    await this.payment(
      orderId,
      {
        type: 'AuthorizePayment',
        data: { orderId, amount: total.amount, currency: total.currency, providerReference, authorizedAt: now() },
      },
      metadata,
      { step: 'authorize', tolerateRefusal: true },
    );
    await this.payment(orderId, { type: 'CapturePayment', data: { orderId, capturedAt: now() } }, metadata, {
      step: 'capture',
      tolerateRefusal: true,
    });
    await this.payment(orderId, { type: 'RefundPayment', data: { orderId, refundedAt: now() } }, metadata, {
      step: 'refund',
      tolerateRefusal: false,
    });
    return { ok: true };
  }

  private async cancelOrder({ checkout, metadata, now, why }: EffectContext): Promise<CompensationResult> {
    const { orderId } = checkout;
    if (!why) throw new Error(`cancelling order ${orderId} without a reason`);
    const cancelledAt = now();
    const data =
      why.reason === 'out_of_stock'
        ? { orderId, cancelledAt, reason: why.reason, sku: why.sku }
        : { orderId, cancelledAt, reason: why.reason };
    try {
      await this.aggregates.orders.handle(
        orderStream(orderId),
        { type: 'CancelOrder', data },
        { metadata, idempotencyKey: `cancel/${orderId}` },
      );
      return { ok: true };
    } catch (error) {
      if (isDomainError(error)) {
        this.logger.error({ orderId, code: error.code, err: error }, 'the order refused its cancellation');
        return { ok: true, note: error.code };
      }
      throw error;
    }
  }

  // ---- aggregates ----------------------------------------------------------------------

  private inventory(sku: string, command: InventoryCommand, metadata: CausationMetadata, idempotencyKey: string) {
    return this.aggregates.stock.handle(inventoryStream(sku), command, { metadata, idempotencyKey });
  }

  private async payment(
    orderId: string,
    command: PaymentCommand,
    metadata: CausationMetadata,
    { step, tolerateRefusal }: PaymentWrite,
  ): Promise<void> {
    try {
      // Only the saga writes `payment-…`, usually a stream it is about to create: no read first.
      await this.aggregates.payments.handle(paymentStream(orderId), command, {
        metadata,
        expected: 'new',
        idempotencyKey: `${step}/${orderId}`,
      });
    } catch (error) {
      if (tolerateRefusal && isDomainError(error)) {
        this.logger.warn({ orderId, code: error.code, command: command.type }, 'payment history already differs; not recorded');
        return;
      }
      throw error;
    }
  }
}
