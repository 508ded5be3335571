import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spec } from '../testing/decider-spec';
import { orderDecider, orderStream, readOrderEvent, type OrderCommand, type OrderEvent, type OrderLine } from './index';

const orderId = 'order-1';
const customerId = 'customer-7';
const placedAt = '2025-03-01T10:00:00.000Z';
const at = '2025-03-01T10:05:00.000Z';
const eur = (amount: number) => ({ amount, currency: 'EUR' });
const mugs: OrderLine = { sku: 'MUG-BLUE', quantity: 2, unitPrice: eur(1250) };
const tea: OrderLine = { sku: 'TEA-GREEN', quantity: 3, unitPrice: eur(499) };

const place = (lines: unknown[] = [mugs, tea], over: Record<string, unknown> = {}) =>
  ({ type: 'PlaceOrder', data: { orderId, customerId, lines, paymentToken: 'tok_approve', placedAt, ...over } }) as OrderCommand;
const confirm: OrderCommand = { type: 'ConfirmOrder', data: { orderId, confirmedAt: at } };
const requestCancellation = (requestedBy = customerId): OrderCommand => ({
  type: 'RequestOrderCancellation',
  data: { orderId, requestedBy, requestedAt: at },
});
const cancel = (reason: 'payment_declined' | 'payment_timed_out' | 'customer_request'): OrderCommand => ({
  type: 'CancelOrder',
  data: { orderId, reason, cancelledAt: at },
});
const cancelOutOfStock: OrderCommand = {
  type: 'CancelOrder',
  data: { orderId, reason: 'out_of_stock', sku: 'TEA-GREEN', cancelledAt: at },
};

const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: { orderId, customerId, lines: [mugs, tea], total: eur(2 * 1250 + 3 * 499), paymentToken: 'tok_approve', placedAt },
};
const confirmed: OrderEvent = { type: 'OrderConfirmed', data: { orderId, confirmedAt: at } };
const cancellationRequested: OrderEvent = {
  type: 'OrderCancellationRequested',
  data: { orderId, requestedBy: customerId, requestedAt: at },
};
const cancelled = (reason: 'payment_declined' | 'payment_timed_out' | 'customer_request'): OrderEvent => ({
  type: 'OrderCancelled',
  data: { orderId, reason, cancelledAt: at },
});
const cancelledOutOfStock: OrderEvent = {
  type: 'OrderCancelled',
  data: { orderId, reason: 'out_of_stock', sku: 'TEA-GREEN', cancelledAt: at },
};

const given = spec(orderDecider).given;
const lines = (count: number) => Array.from({ length: count }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1, unitPrice: eur(100) }));

// Placing
test('places an order with its total computed in minor units', () => given([]).when(place()).then([placed]));
test('accepts 50 lines', () =>
  given([])
    .when(place(lines(50)))
    .then([{ type: 'OrderPlaced', data: { ...placed.data, lines: lines(50), total: eur(5000) } } as OrderEvent]));
test('rejects placing an order that exists', () => given([placed]).when(place()).thenThrows('order_already_placed'));
test('rejects an order without lines', () => given([]).when(place([])).thenThrows('validation'));
test('rejects an order of more than 50 lines', () =>
  given([])
    .when(place(lines(51)))
    .thenThrows('validation'));
test('rejects the same SKU on two lines', () =>
  given([])
    .when(place([mugs, { ...mugs, quantity: 1 }]))
    .thenThrows('validation'));
test('rejects lines in different currencies', () =>
  given([])
    .when(place([mugs, { ...tea, unitPrice: { amount: 499, currency: 'USD' } }]))
    .thenThrows('validation'));
test('rejects a zero quantity', () =>
  given([])
    .when(place([{ ...mugs, quantity: 0 }]))
    .thenThrows('validation'));
test('rejects a fractional quantity', () =>
  given([])
    .when(place([{ ...mugs, quantity: 1.5 }]))
    .thenThrows('validation'));
test('rejects a unit price in fractions of a cent', () =>
  given([])
    .when(place([{ ...mugs, unitPrice: eur(12.5) }]))
    .thenThrows('validation'));
test('rejects a total too large to add up exactly', () =>
  given([])
    .when(place([{ ...mugs, quantity: 2 ** 40, unitPrice: eur(2 ** 20) }]))
    .thenThrows('validation'));
test('rejects a placing time that is not an ISO instant', () =>
  given([])
    .when(place(undefined, { placedAt: 'yesterday' }))
    .thenThrows('validation'));
test('rejects an order without a payment token', () =>
  given([])
    .when(place(undefined, { paymentToken: '' }))
    .thenThrows('validation'));

// Confirming
test('confirms a placed order', () => given([placed]).when(confirm).then([confirmed]));
test('confirming twice is a no-op', () => given([placed, confirmed]).when(confirm).thenNothing());
test('rejects confirming an order that was not placed', () => given([]).when(confirm).thenThrows('order_not_found'));
test('rejects confirming a cancelled order', () =>
  given([placed, cancelled('payment_declined')])
    .when(confirm)
    .thenThrows('order_already_final'));
test('rejects confirming once the customer asked to cancel', () =>
  given([placed, cancellationRequested]).when(confirm).thenThrows('cancellation_requested'));

// The customer asking to cancel
test('the customer asks to cancel a placed order', () => given([placed]).when(requestCancellation()).then([cancellationRequested]));
test('asking twice is a no-op', () => given([placed, cancellationRequested]).when(requestCancellation()).thenNothing());
test('rejects a request from another customer', () =>
  given([placed]).when(requestCancellation('customer-8')).thenThrows('not_order_customer'));
test('rejects a request from another customer even for a final order', () =>
  given([placed, confirmed]).when(requestCancellation('customer-8')).thenThrows('not_order_customer'));
test('rejects a request for an order that was not placed', () => given([]).when(requestCancellation()).thenThrows('order_not_found'));
test('rejects a request once confirmed', () => given([placed, confirmed]).when(requestCancellation()).thenThrows('order_already_final'));
test('rejects a request once cancelled', () =>
  given([placed, cancelled('payment_declined')])
    .when(requestCancellation())
    .thenThrows('order_already_final'));

// Cancelling
test('cancels for a SKU out of stock', () => given([placed]).when(cancelOutOfStock).then([cancelledOutOfStock]));
test('cancels for a declined payment', () =>
  given([placed])
    .when(cancel('payment_declined'))
    .then([cancelled('payment_declined')]));
test('cancels for a payment that timed out', () =>
  given([placed])
    .when(cancel('payment_timed_out'))
    .then([cancelled('payment_timed_out')]));
test("cancels at the customer's request", () =>
  given([placed, cancellationRequested])
    .when(cancel('customer_request'))
    .then([cancelled('customer_request')]));
test('cancels for a checkout failure after the customer asked', () =>
  given([placed, cancellationRequested])
    .when(cancel('payment_declined'))
    .then([cancelled('payment_declined')]));
test("rejects cancelling at the customer's request when they did not ask", () =>
  given([placed]).when(cancel('customer_request')).thenThrows('cancellation_not_requested'));
test('rejects out of stock without naming the SKU', () =>
  given([placed])
    .when({ type: 'CancelOrder', data: { orderId, reason: 'out_of_stock', cancelledAt: at } } as OrderCommand)
    .thenThrows('validation'));
test('rejects an unknown reason', () =>
  given([placed])
    .when({ type: 'CancelOrder', data: { orderId, reason: 'bored', cancelledAt: at } } as unknown as OrderCommand)
    .thenThrows('validation'));
test('cancelling twice is a no-op, whatever the reason', () =>
  given([placed, cancelled('payment_declined')])
    .when(cancel('payment_timed_out'))
    .thenNothing());
test('rejects cancelling an order that was not placed', () => given([]).when(cancel('payment_declined')).thenThrows('order_not_found'));
test('rejects cancelling a confirmed order', () =>
  given([placed, confirmed]).when(cancel('payment_declined')).thenThrows('order_already_final'));

// State
test('keeps status, customer, lines, total and why it was cancelled', () => {
  const state = [placed, cancellationRequested, cancelled('customer_request')].reduce(orderDecider.evolve, orderDecider.initialState());
  assert.equal(state, {
    status: 'cancelled',
    orderId,
    customerId,
    lines: [mugs, tea],
    total: eur(3997),
    paymentToken: 'tok_approve',
    cancellationReason: 'customer_request',
  });
});
test('refuses a command for another order than the stream holds (a wiring bug, not a business rule)', () =>
  assert.throws(
    () =>
      orderDecider.decide(
        { type: 'ConfirmOrder', data: { orderId: 'order-2', confirmedAt: at } },
        orderDecider.evolve(orderDecider.initialState(), placed),
      ),
    /stream of order order-1/,
  ));

// Stored events
test('names the stream after the order', () => assert.is(orderStream(orderId), 'order-order-1'));
test('reads a stored v1 event', () =>
  assert.equal(readOrderEvent({ type: 'OrderCancelled', data: cancelledOutOfStock.data, schemaVersion: 1 }), cancelledOutOfStock));
test('refuses a stored event of an unknown version', () =>
  assert.throws(() => readOrderEvent({ type: 'OrderPlaced', data: placed.data, schemaVersion: 3 }), /OrderPlaced v3/));

test.run();
