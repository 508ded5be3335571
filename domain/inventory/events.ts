import { z } from 'zod';
import { eventCodec, eventReader, eventTypeNames, schemaVersionsOf, type EventOf } from '../shared/events';
import { Money } from '../shared/money';
import { OrderId, Quantity, Sku } from '../shared/values';

/** What a product is called in the shop. */
export const ProductName = z.string().trim().min(1, 'name must not be empty').max(200);

export const ProductRegisteredData = z.object({ sku: Sku, name: ProductName, price: Money });
export const ProductPriceChangedData = z.object({ sku: Sku, price: Money, previousPrice: Money });
export const StockReceivedData = z.object({ sku: Sku, quantity: Quantity });
export const StockReservedData = z.object({ sku: Sku, orderId: OrderId, quantity: Quantity });
/** A business outcome the saga reacts to (by cancelling the order), not a failure. */
export const StockReservationRejectedData = z.object({
  sku: Sku,
  orderId: OrderId,
  quantity: Quantity,
  /** Units that could have been reserved when the order asked. */
  available: z.number().int().nonnegative(),
  reason: z.literal('insufficient_stock'),
});
export const StockReleasedData = z.object({ sku: Sku, orderId: OrderId, quantity: Quantity });
/** The order's reserved units were sold: they leave both on-hand and reserved. */
export const StockCommittedData = z.object({ sku: Sku, orderId: OrderId, quantity: Quantity });

export const inventoryEvents = {
  ProductRegistered: { schemaVersion: 1, data: ProductRegisteredData },
  ProductPriceChanged: { schemaVersion: 1, data: ProductPriceChangedData },
  StockReceived: { schemaVersion: 1, data: StockReceivedData },
  StockReserved: { schemaVersion: 1, data: StockReservedData },
  StockReservationRejected: { schemaVersion: 1, data: StockReservationRejectedData },
  StockReleased: { schemaVersion: 1, data: StockReleasedData },
  StockCommitted: { schemaVersion: 1, data: StockCommittedData },
} as const;

export type InventoryEvent = EventOf<typeof inventoryEvents>;
export type InventoryEventType = InventoryEvent['type'];
export const InventoryEventType = eventTypeNames(inventoryEvents);
export const inventorySchemaVersion = schemaVersionsOf(inventoryEvents);
/** How these events are written (the current schema version) and read back (upcast, validated). */
export const inventoryCodec = eventCodec(inventoryEvents);
/** Stored `{ type, data, schemaVersion }` → typed event; throws EventSchemaError when it cannot. */
export const readInventoryEvent = eventReader(inventoryEvents);
