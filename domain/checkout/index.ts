import type { Decider } from '../shared/decider';
import { decide, evolve, initialState, type CheckoutCommand, type CheckoutState } from './decider';
import type { CheckoutEvent } from './events';

export * from './events';
export { nextAction, sameCompensation } from './decider';
export type {
  CheckoutCommand,
  CheckoutState,
  NextAction,
  PaymentProgress,
  RegisteredCompensation,
  StartedCheckout,
  Step,
  StepOutcome,
} from './decider';

/** The checkout saga's process logic: `nextAction(state)` says what to do, `decide` records what happened. */
export const checkoutDecider: Decider<CheckoutCommand, CheckoutEvent, CheckoutState> = { initialState, decide, evolve };

export { checkoutStream, checkoutStreamCategory } from '../stream-names';
