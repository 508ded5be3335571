import type { Decider } from '../shared/decider';
import type { OrderId } from '../shared/values';
import type { PaymentCommand } from './commands';
import { decide, evolve, initialState, type PaymentState } from './decider';
import type { PaymentEvent } from './events';

export * from './commands';
export * from './events';
export type { PaymentState } from './decider';

export const paymentDecider: Decider<PaymentCommand, PaymentEvent, PaymentState> = { initialState, decide, evolve };

/** The stream category, for `$ce-payment` and stream-prefix subscription filters. */
export const paymentStreamCategory = 'payment';

export function paymentStream(orderId: OrderId): string {
  return `payment-${orderId}`;
}
