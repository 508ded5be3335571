/** How the command API writes and reads the domain's events (schema versions, upcasting, validation). */
import {
  inventorySchemaVersion,
  orderSchemaVersion,
  readInventoryEvent,
  readOrderEvent,
  type InventoryEvent,
  type OrderEvent,
} from '../../domain';
import type { EventCodec } from '../../platform/eventstore';

export const inventoryCodec: EventCodec<InventoryEvent> = {
  schemaVersionOf: (event) => inventorySchemaVersion[event.type],
  decode: readInventoryEvent,
};

export const orderCodec: EventCodec<OrderEvent> = {
  schemaVersionOf: (event) => orderSchemaVersion[event.type],
  decode: readOrderEvent,
};
