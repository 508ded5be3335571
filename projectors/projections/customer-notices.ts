/**
 * Customer notices: an order's customer hears that it was confirmed, cancelled (with the reason)
 * or that its payment was declined. Who placed each order, and its total, is remembered from
 * OrderPlaced in `notification_orders`.
 */
import type { Knex } from 'knex';
import type { ShopEvent } from '../../domain';
import { InconsistentEventError, type ProjectedEvent } from '../framework/types';
import { noticeOf, type Notice } from './notification-outbox';
import { unique } from './support';

export const customerNoticeEventTypes = ['OrderPlaced', 'OrderConfirmed', 'OrderCancelled', 'PaymentDeclined'] as const;
export type CustomerNoticeEvent = Extract<ShopEvent, { type: (typeof customerNoticeEventTypes)[number] }>;

interface OrderOwner {
  order_id: string;
  customer_id: string;
  total_amount: number;
  currency: string;
}

/** One batch's customer notices. */
export class CustomerNotices {
  private readonly newOwners: OrderOwner[] = [];

  private constructor(private readonly owners: Map<string, OrderOwner>) {}

  /** Reads the owners of the batch's orders, in one query. */
  static async load(trx: Knex.Transaction, events: readonly ProjectedEvent<CustomerNoticeEvent>[]): Promise<CustomerNotices> {
    const orderIds = unique(events.map(({ event }) => event.data.orderId));
    const owners = (await trx('notification_orders').whereIn('order_id', orderIds)) as OrderOwner[];
    return new CustomerNotices(new Map(owners.map((row) => [row.order_id, row])));
  }

  /** The notice `projected` causes, if any. */
  noticeFor(projected: ProjectedEvent<CustomerNoticeEvent>): Notice | undefined {
    const { event } = projected;
    switch (event.type) {
      case 'OrderPlaced': {
        const { orderId, customerId, total } = event.data;
        if (this.owners.has(orderId)) return undefined;
        const owner = { order_id: orderId, customer_id: customerId, total_amount: total.amount, currency: total.currency };
        this.owners.set(orderId, owner);
        this.newOwners.push(owner);
        return undefined;
      }
      case 'OrderConfirmed': {
        const owner = this.ownerOf(projected, event.data.orderId);
        const data = { total: { amount: owner.total_amount, currency: owner.currency } };
        return noticeOf(projected, {
          audience: 'customer',
          userId: owner.customer_id,
          type: 'OrderConfirmed',
          at: event.data.confirmedAt,
          data,
          orderId: owner.order_id,
        });
      }
      case 'OrderCancelled': {
        const owner = this.ownerOf(projected, event.data.orderId);
        const { orderId: _orderId, cancelledAt, ...why } = event.data;
        return noticeOf(projected, {
          audience: 'customer',
          userId: owner.customer_id,
          type: 'OrderCancelled',
          at: cancelledAt,
          data: why,
          orderId: owner.order_id,
        });
      }
      case 'PaymentDeclined': {
        const owner = this.ownerOf(projected, event.data.orderId);
        const data = { reason: event.data.reason };
        return noticeOf(projected, {
          audience: 'customer',
          userId: owner.customer_id,
          type: 'PaymentDeclined',
          at: event.data.declinedAt,
          data,
          orderId: owner.order_id,
        });
      }
    }
  }

  /** Writes the owners of the orders placed in this batch. */
  async save(trx: Knex.Transaction): Promise<void> {
    if (this.newOwners.length > 0) await trx('notification_orders').insert(this.newOwners).onConflict('order_id').ignore();
  }

  private ownerOf(projected: ProjectedEvent<CustomerNoticeEvent>, orderId: string): OrderOwner {
    const owner = this.owners.get(orderId);
    if (!owner) throw new InconsistentEventError(projected, `${projected.event.type} for order ${orderId}, which was never placed`);
    return owner;
  }
}
