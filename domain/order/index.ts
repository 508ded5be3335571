import type { Decider } from '../shared/decider';
import type { OrderCommand } from './commands';
import { decide, evolve, initialState, type OrderState } from './decider';
import type { OrderEvent } from './events';

export * from './commands';
export * from './events';
export type { OrderState, OrderStatus } from './decider';

export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = { initialState, decide, evolve };

export { orderStream, orderStreamCategory } from '../stream-names';
