import type { Decider } from '../shared/decider';
import type { InventoryCommand } from './commands';
import { decide, evolve, initialState, type InventoryState } from './decider';
import type { InventoryEvent } from './events';

export * from './commands';
export * from './events';
export type { InventoryState } from './decider';

export const inventoryDecider: Decider<InventoryCommand, InventoryEvent, InventoryState> = { initialState, decide, evolve };

export { inventoryStream, inventoryStreamCategory } from '../stream-names';
