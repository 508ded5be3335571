import type { Decider } from '../shared/decider';
import type { Sku } from '../shared/values';
import type { InventoryCommand } from './commands';
import { decide, evolve, initialState, type InventoryState } from './decider';
import type { InventoryEvent } from './events';

export * from './commands';
export * from './events';
export type { InventoryState } from './decider';

export const inventoryDecider: Decider<InventoryCommand, InventoryEvent, InventoryState> = { initialState, decide, evolve };

/** The stream category, for `$ce-inventory` and stream-prefix subscription filters. */
export const inventoryStreamCategory = 'inventory';

export function inventoryStream(sku: Sku): string {
  return `inventory-${sku}`;
}
