import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spec } from '../testing/decider-spec';
import { paymentDecider, paymentStream, readPaymentEvent, type PaymentCommand, type PaymentEvent } from './index';

const orderId = 'order-1';
const at = '2025-03-01T10:05:00.000Z';
const providerReference = 'auth_123';

const authorize = (over: Record<string, unknown> = {}) =>
  ({
    type: 'AuthorizePayment',
    data: { orderId, amount: 3997, currency: 'EUR', providerReference, authorizedAt: at, ...over },
  }) as PaymentCommand;
const recordDecline: PaymentCommand = { type: 'RecordPaymentDeclined', data: { orderId, reason: 'card_declined', declinedAt: at } };
const capture: PaymentCommand = { type: 'CapturePayment', data: { orderId, capturedAt: at } };
const voidIt: PaymentCommand = { type: 'VoidPayment', data: { orderId, voidedAt: at } };
const refund: PaymentCommand = { type: 'RefundPayment', data: { orderId, refundedAt: at } };

const authorized: PaymentEvent = {
  type: 'PaymentAuthorized',
  data: { orderId, amount: 3997, currency: 'EUR', providerReference, authorizedAt: at },
};
const declined: PaymentEvent = { type: 'PaymentDeclined', data: { orderId, reason: 'card_declined', declinedAt: at } };
const captured: PaymentEvent = {
  type: 'PaymentCaptured',
  data: { orderId, amount: 3997, currency: 'EUR', providerReference, capturedAt: at },
};
const voided: PaymentEvent = { type: 'PaymentVoided', data: { orderId, providerReference, voidedAt: at } };
const refunded: PaymentEvent = {
  type: 'PaymentRefunded',
  data: { orderId, amount: 3997, currency: 'EUR', providerReference, refundedAt: at },
};

const given = spec(paymentDecider).given;

// Authorizing
test('records an authorization', () => given([]).when(authorize()).then([authorized]));
test('recording the same authorization again is a no-op', () => given([authorized]).when(authorize()).thenNothing());
test('recording the same authorization after capture is a no-op', () => given([authorized, captured]).when(authorize()).thenNothing());
test('rejects a second, different authorization', () =>
  given([authorized])
    .when(authorize({ providerReference: 'auth_456' }))
    .thenThrows('payment_already_processed'));
test('rejects an authorization of another amount', () =>
  given([authorized])
    .when(authorize({ amount: 100 }))
    .thenThrows('payment_already_processed'));
test('rejects an authorization after a decline', () => given([declined]).when(authorize()).thenThrows('payment_already_processed'));
test('rejects an amount in fractions of a cent', () =>
  given([])
    .when(authorize({ amount: 39.97 }))
    .thenThrows('validation'));
test('rejects a zero amount', () =>
  given([])
    .when(authorize({ amount: 0 }))
    .thenThrows('validation'));
test('rejects a currency that is not ISO 4217', () =>
  given([])
    .when(authorize({ currency: 'euro' }))
    .thenThrows('validation'));

// Declines
test('records a decline', () => given([]).when(recordDecline).then([declined]));
test('recording a decline again is a no-op', () => given([declined]).when(recordDecline).thenNothing());
test('rejects a decline after an authorization', () => given([authorized]).when(recordDecline).thenThrows('payment_already_processed'));

// Capturing
test('captures an authorized payment', () => given([authorized]).when(capture).then([captured]));
test('capturing twice is a no-op', () => given([authorized, captured]).when(capture).thenNothing());
test('capturing a refunded payment is a no-op', () => given([authorized, captured, refunded]).when(capture).thenNothing());
test('rejects capturing without an authorization', () => given([]).when(capture).thenThrows('payment_not_authorized'));
test('rejects capturing a declined payment', () => given([declined]).when(capture).thenThrows('payment_not_authorized'));
test('rejects capturing a voided payment', () => given([authorized, voided]).when(capture).thenThrows('payment_voided'));

// Voiding
test('voids an authorized payment', () => given([authorized]).when(voidIt).then([voided]));
test('voiding twice is a no-op', () => given([authorized, voided]).when(voidIt).thenNothing());
test('rejects voiding without an authorization', () => given([]).when(voidIt).thenThrows('payment_not_authorized'));
test('rejects voiding a declined payment', () => given([declined]).when(voidIt).thenThrows('payment_not_authorized'));
test('rejects voiding a captured payment', () => given([authorized, captured]).when(voidIt).thenThrows('payment_already_captured'));
test('rejects voiding a refunded payment', () =>
  given([authorized, captured, refunded]).when(voidIt).thenThrows('payment_already_captured'));

// Refunding
test('refunds a captured payment', () => given([authorized, captured]).when(refund).then([refunded]));
test('refunding twice is a no-op', () => given([authorized, captured, refunded]).when(refund).thenNothing());
test('rejects refunding an authorized, uncaptured payment', () => given([authorized]).when(refund).thenThrows('payment_not_captured'));
test('rejects refunding a voided payment', () => given([authorized, voided]).when(refund).thenThrows('payment_not_captured'));
test('rejects refunding a declined payment', () => given([declined]).when(refund).thenThrows('payment_not_captured'));
test('rejects refunding without a payment', () => given([]).when(refund).thenThrows('payment_not_captured'));

// Timing out (the checkout's payment deadline passed without an answer)
const recordTimeout: PaymentCommand = { type: 'RecordPaymentTimedOut', data: { orderId, timedOutAt: at } };
const timedOut: PaymentEvent = { type: 'PaymentTimedOut', data: { orderId, timedOutAt: at } };
const voidLate = (reference?: string): PaymentCommand => ({
  type: 'VoidPayment',
  data: { orderId, voidedAt: at, ...(reference ? { providerReference: reference } : {}) },
});
test('records a timeout', () => given([]).when(recordTimeout).then([timedOut]));
test('recording a timeout twice is a no-op', () => given([timedOut]).when(recordTimeout).thenNothing());
test('a timeout after the answer arrived is a no-op (the answer stands)', () => given([authorized]).when(recordTimeout).thenNothing());
test('a timeout after a decline is a no-op', () => given([declined]).when(recordTimeout).thenNothing());
test('voids what the provider authorized after the timeout', () =>
  given([timedOut])
    .when(voidLate('auth_late'))
    .then([{ type: 'PaymentVoided', data: { orderId, providerReference: 'auth_late', voidedAt: at } }]));
test('voiding after a timeout when nothing was authorized is a no-op', () => given([timedOut]).when(voidLate()).thenNothing());
test('voiding twice after a timeout is a no-op', () =>
  given([timedOut, { type: 'PaymentVoided', data: { orderId, providerReference: 'auth_late', voidedAt: at } }])
    .when(voidLate('auth_late'))
    .thenNothing());
test('rejects recording a late authorization after a timeout', () =>
  given([timedOut]).when(authorize()).thenThrows('payment_already_processed'));
test('rejects capturing after a timeout', () => given([timedOut]).when(capture).thenThrows('payment_not_authorized'));
test('voiding an authorized payment uses its own reference', () => given([authorized]).when(voidLate('other')).then([voided]));

// State and stored events
test('keeps status, amount and provider reference', () =>
  assert.equal([authorized, captured].reduce(paymentDecider.evolve, paymentDecider.initialState()), {
    status: 'captured',
    orderId,
    amount: 3997,
    currency: 'EUR',
    providerReference,
  }));
test('names the stream after the order', () => assert.is(paymentStream(orderId), 'payment-order-1'));
test('reads a stored v1 event', () =>
  assert.equal(readPaymentEvent({ type: 'PaymentCaptured', data: captured.data, schemaVersion: 1 }), captured));
test('refuses a stored event of an unknown version', () =>
  assert.throws(() => readPaymentEvent({ type: 'PaymentCaptured', data: captured.data, schemaVersion: 0 }), /no valid schemaVersion/));

test.run();
