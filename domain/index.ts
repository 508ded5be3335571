/**
 * The checkout's business rules: one decider per aggregate, their commands and events. Pure: no
 * I/O, no clock, no randomness; time and ids arrive in commands.
 */
import { EventSchemaError } from './shared/errors';
import type { EventCodec, StoredEvent } from './shared/events';
import { inventoryEvents, inventorySchemaVersion, readInventoryEvent, type InventoryEvent } from './inventory';
import { orderEvents, orderSchemaVersion, readOrderEvent, type OrderEvent } from './order';
import { paymentEvents, paymentSchemaVersion, readPaymentEvent, type PaymentEvent } from './payment';

export * from './inventory';
export * from './order';
export * from './payment';
export { Currency, Money, sameMoney, totalOf } from './shared/money';
export { CustomerId, OrderId, Quantity, Sku, Timestamp } from './shared/values';
export { DomainError, EventSchemaError, isDomainError, type DomainErrorCode } from './shared/errors';
export { stateFrom, validated, type Decider } from './shared/decider';
export type { DomainEvent, EventCatalogue, EventCodec, EventDefinition, EventOf, StoredEvent } from './shared/events';

/** An event of the shop's inventory, order or payment streams: what the read side projects (the saga's checkout events are apart). */
export type ShopEvent = InventoryEvent | OrderEvent | PaymentEvent;
export type ShopEventType = ShopEvent['type'];

const readers: Record<string, (stored: StoredEvent) => ShopEvent> = {
  ...Object.fromEntries(Object.keys(inventoryEvents).map((type) => [type, readInventoryEvent])),
  ...Object.fromEntries(Object.keys(orderEvents).map((type) => [type, readOrderEvent])),
  ...Object.fromEntries(Object.keys(paymentEvents).map((type) => [type, readPaymentEvent])),
};

/** True for the event types of the inventory, order and payment streams (not, e.g., the saga's). */
export function isShopEventType(type: string): type is ShopEventType {
  return Object.hasOwn(readers, type);
}

/** Any shop event as stored (e.g. read from `$all` by a projector) → typed; throws EventSchemaError. */
export function readShopEvent(stored: StoredEvent): ShopEvent {
  const read = isShopEventType(stored.type) ? readers[stored.type] : undefined;
  if (!read) throw new EventSchemaError(stored.type, stored.schemaVersion, `unknown event type '${stored.type}'`);
  return read(stored);
}

const domainSchemaVersion: Readonly<Record<string, number>> = { ...inventorySchemaVersion, ...orderSchemaVersion, ...paymentSchemaVersion };

/** Any inventory, order or payment event (for readers and writers of several aggregates). */
export const shopCodec: EventCodec<ShopEvent> = {
  schemaVersionOf: (event) => domainSchemaVersion[event.type]!,
  decode: readShopEvent,
};
