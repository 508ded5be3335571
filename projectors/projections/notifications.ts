/**
 * Notifications: what a user should hear about, written as a notification row and an outbox row
 * in the same transaction as the projection's checkpoint (notification-outbox.ts); the notifier
 * (projectors/notifier/) publishes the outbox to NATS.
 *
 * - customer `<customerId>`: OrderConfirmed, OrderCancelled (with its reason), PaymentDeclined
 *   (customer-notices.ts);
 * - admin audience (user id `*`): LowStock, when a SKU's available stock falls to the threshold
 *   or below (low-stock.ts).
 */
import type { ShopEvent } from '../../domain';
import type { ProjectedEvent, Projection } from '../framework/types';
import { CustomerNotices, customerNoticeEventTypes, type CustomerNoticeEvent } from './customer-notices';
import { LowStock, stockEventTypes, type StockEvent } from './low-stock';
import { writeNotifications, type Notice } from './notification-outbox';
import { domainEvents, handlesTypes } from './support';

export interface NotificationsSettings {
  lowStockThreshold: number;
  /**
   * Default true. A rebuild into empty tables passes false: the notifications of the past are
   * recorded (a client catching up can read them) but not published again.
   */
  writeOutbox?: boolean;
}

type Handled = ProjectedEvent<CustomerNoticeEvent> | ProjectedEvent<StockEvent>;
const isStockEvent = handlesTypes(stockEventTypes);
const concernsStock = (projected: Handled): projected is ProjectedEvent<StockEvent> => isStockEvent(projected.event.type);
const concernsCustomer = (projected: Handled): projected is ProjectedEvent<CustomerNoticeEvent> => !concernsStock(projected);

export function notificationsProjection({ lowStockThreshold, writeOutbox = true }: NotificationsSettings): Projection<ShopEvent> {
  return {
    name: 'notifications',
    streamPrefixes: ['order-', 'payment-', 'inventory-'],
    handles: handlesTypes([...customerNoticeEventTypes, ...stockEventTypes]),
    ...domainEvents,
    async apply(trx, events) {
      const typed = events as readonly Handled[];
      const customers = await CustomerNotices.load(trx, typed.filter(concernsCustomer));
      const stock = await LowStock.load(trx, typed.filter(concernsStock), lowStockThreshold);
      const notices: Notice[] = [];
      for (const projected of typed) {
        const notice = concernsStock(projected) ? stock.noticeFor(projected) : customers.noticeFor(projected);
        if (notice) notices.push(notice);
      }
      await customers.save(trx);
      await stock.save(trx);
      await writeNotifications(trx, notices, writeOutbox);
    },
  };
}
