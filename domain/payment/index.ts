import type { Decider } from '../shared/decider';
import type { PaymentCommand } from './commands';
import { decide, evolve, initialState, type PaymentState } from './decider';
import type { PaymentEvent } from './events';

export * from './commands';
export * from './events';
export type { PaymentState } from './decider';

export const paymentDecider: Decider<PaymentCommand, PaymentEvent, PaymentState> = { initialState, decide, evolve };

export { paymentStream, paymentStreamCategory } from '../stream-names';
