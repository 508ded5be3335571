/**
 * The checkout's business rules: one decider per aggregate, their commands and events. Pure: no
 * I/O, no clock, no randomness; time and ids arrive in commands.
 */
import { EventSchemaError } from './shared/errors';
import type { StoredEvent } from './shared/events';
import { inventoryEvents, readInventoryEvent, type InventoryEvent } from './inventory';
import { orderEvents, readOrderEvent, type OrderEvent } from './order';
import { paymentEvents, readPaymentEvent, type PaymentEvent } from './payment';

export * from './inventory';
export * from './order';
export * from './payment';
export { Currency, Money, sameMoney, totalOf } from './shared/money';
export { CustomerId, OrderId, Quantity, Sku, Timestamp } from './shared/values';
export { DomainError, EventSchemaError, isDomainError, type DomainErrorCode } from './shared/errors';
export { stateFrom, validated, type Decider } from './shared/decider';
export type { EventCatalogue, EventDefinition, EventOf, StoredEvent } from './shared/events';

export type DomainEvent = InventoryEvent | OrderEvent | PaymentEvent;
export type DomainEventType = DomainEvent['type'];

const readers: Record<string, (stored: StoredEvent) => DomainEvent> = {
  ...Object.fromEntries(Object.keys(inventoryEvents).map((type) => [type, readInventoryEvent])),
  ...Object.fromEntries(Object.keys(orderEvents).map((type) => [type, readOrderEvent])),
  ...Object.fromEntries(Object.keys(paymentEvents).map((type) => [type, readPaymentEvent])),
};

/** True for the event types of the inventory, order and payment streams (not, e.g., the saga's). */
export function isDomainEventType(type: string): type is DomainEventType {
  return Object.hasOwn(readers, type);
}

/** Any domain event as stored (e.g. read from `$all` by a projector) → typed; throws EventSchemaError. */
export function readDomainEvent(stored: StoredEvent): DomainEvent {
  const read = isDomainEventType(stored.type) ? readers[stored.type] : undefined;
  if (!read) throw new EventSchemaError(stored.type, stored.schemaVersion, `unknown event type '${stored.type}'`);
  return read(stored);
}
