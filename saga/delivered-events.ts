/**
 * What the saga's persistent subscription delivers: orders placed, cancellations asked for, and the
 * checkout events that *drive* a checkout (checkout-process.ts says how a delivery drives).
 */
import { checkoutSchemaVersion, type CheckoutEvent } from '../domain/checkout';

/**
 * Checkout events the saga's subscription does not deliver, because an append never ends with
 * one while something is left to do (saga/delivered-events.unit.test.ts walks every checkout the
 * decider allows to check it): the payment outcomes, which the decider records together with the
 * next step's start, CheckoutStarted (always recorded with the first step's start), and the two
 * ends. A line's reservation is delivered: during a compensation it is recorded on its own.
 * Leaving these out cuts the saga's deliveries per one-line happy checkout from 11 to 6.
 */
export const UNDELIVERED_CHECKOUT_EVENTS = [
  'CheckoutStarted',
  'PaymentAuthorizationApproved',
  'PaymentCaptureCompleted',
  'CheckoutCompleted',
  'CheckoutCompensated',
] as const satisfies readonly CheckoutEvent['type'][];
const undelivered: ReadonlySet<string> = new Set(UNDELIVERED_CHECKOUT_EVENTS);
const DRIVING_CHECKOUT_EVENTS = (Object.keys(checkoutSchemaVersion) as CheckoutEvent['type'][]).filter((type) => !undelivered.has(type));
const drivingCheckoutEvents: ReadonlySet<string> = new Set(DRIVING_CHECKOUT_EVENTS);

/** Whether the delivery of this checkout event drives the checkout on. */
export function isDriving(event: CheckoutEvent): boolean {
  return drivingCheckoutEvents.has(event.type);
}

/** The event types of the saga's subscription group. */
export const DELIVERED_EVENT_TYPES: readonly string[] = ['OrderPlaced', 'OrderCancellationRequested', ...DRIVING_CHECKOUT_EVENTS];
