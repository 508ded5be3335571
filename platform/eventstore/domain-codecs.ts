/**
 * How the domain's events are written and read through the event store: the schema version each
 * event type is written with, and the domain's reader (validation and upcasting) for stored ones.
 * Every service writes and reads the same aggregates, so they share these.
 */
import {
  inventorySchemaVersion,
  orderSchemaVersion,
  paymentSchemaVersion,
  readDomainEvent,
  readInventoryEvent,
  readOrderEvent,
  readPaymentEvent,
  type DomainEvent,
  type InventoryEvent,
  type OrderEvent,
  type PaymentEvent,
} from '../../domain';
import type { EventCodec } from './types';

export const inventoryCodec: EventCodec<InventoryEvent> = {
  schemaVersionOf: (event) => inventorySchemaVersion[event.type],
  decode: readInventoryEvent,
};

export const orderCodec: EventCodec<OrderEvent> = {
  schemaVersionOf: (event) => orderSchemaVersion[event.type],
  decode: readOrderEvent,
};

export const paymentCodec: EventCodec<PaymentEvent> = {
  schemaVersionOf: (event) => paymentSchemaVersion[event.type],
  decode: readPaymentEvent,
};

const domainSchemaVersion: Readonly<Record<string, number>> = { ...inventorySchemaVersion, ...orderSchemaVersion, ...paymentSchemaVersion };

/** Any inventory, order or payment event (for readers of several aggregates). */
export const domainCodec: EventCodec<DomainEvent> = {
  schemaVersionOf: (event) => domainSchemaVersion[event.type]!,
  decode: readDomainEvent,
};
