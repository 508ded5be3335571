import type { Decider } from '../shared/decider';
import type { OrderId } from '../shared/values';
import type { OrderCommand } from './commands';
import { decide, evolve, initialState, type OrderState } from './decider';
import type { OrderEvent } from './events';

export * from './commands';
export * from './events';
export type { OrderState, OrderStatus } from './decider';

export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = { initialState, decide, evolve };

/** The stream category, for `$ce-order` and stream-prefix subscription filters. */
export const orderStreamCategory = 'order';

export function orderStream(orderId: OrderId): string {
  return `order-${orderId}`;
}
