/** What a notification says, in a sentence (types: docs/QUERY-API.md, "Notifications"). */
import type { ShopNotification } from '../../app/api';
import { formatMoney, type Money } from '../../app/money';
import { cancellationReasonText } from '../../app/order-text';

const isMoney = (value: unknown): value is Money =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Money).amount === 'number' &&
  typeof (value as Money).currency === 'string';

export function notificationText(notification: ShopNotification): string {
  const data = notification.data;
  switch (notification.type) {
    case 'OrderConfirmed':
      return `Your order is confirmed${isMoney(data.total) ? `: ${formatMoney(data.total)}` : ''}.`;
    case 'OrderCancelled': {
      const reason = typeof data.reason === 'string' ? (cancellationReasonText[data.reason] ?? data.reason) : 'cancelled';
      return `Your order was cancelled: ${reason}${notification.sku ? ` (${notification.sku})` : ''}.`;
    }
    case 'PaymentDeclined':
      return `Your payment was declined${typeof data.reason === 'string' ? ` (${data.reason})` : ''}.`;
    case 'LowStock':
      return `Low stock: ${notification.sku ?? '?'} has ${String(data.available ?? '?')} available (threshold ${String(data.threshold ?? '?')}).`;
    default:
      return notification.type;
  }
}
