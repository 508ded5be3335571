/**
 * Every aggregate's stream is named `{category}-{id}`. The names are built here and only here, and
 * read back here: a subscriber over `$all` routes what it is delivered by `parseStreamName`.
 * The category comes first and holds no '-', so a name splits at its first '-' even when the id
 * (a SKU such as `MUG-1`) holds more.
 */
import type { OrderId, Sku } from './shared/values';

export const inventoryStreamCategory = 'inventory';
export const orderStreamCategory = 'order';
export const paymentStreamCategory = 'payment';
export const checkoutStreamCategory = 'checkout';

const categories = [inventoryStreamCategory, orderStreamCategory, paymentStreamCategory, checkoutStreamCategory] as const;
export type StreamCategory = (typeof categories)[number];

export function inventoryStream(sku: Sku): string {
  return `${inventoryStreamCategory}-${sku}`;
}

export function orderStream(orderId: OrderId): string {
  return `${orderStreamCategory}-${orderId}`;
}

export function paymentStream(orderId: OrderId): string {
  return `${paymentStreamCategory}-${orderId}`;
}

export function checkoutStream(orderId: OrderId): string {
  return `${checkoutStreamCategory}-${orderId}`;
}

/** The category and id of one of the aggregates' streams; undefined for any other stream. */
export function parseStreamName(streamName: string): { category: StreamCategory; id: string } | undefined {
  const dash = streamName.indexOf('-');
  if (dash < 0) return undefined;
  const category = categories.find((known) => known === streamName.slice(0, dash));
  const id = streamName.slice(dash + 1);
  return category === undefined || id === '' ? undefined : { category, id };
}
