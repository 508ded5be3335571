import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import {
  shopCodec,
  inventoryDecider,
  isShopEventType,
  orderCodec,
  orderSchemaVersion,
  readShopEvent,
  stateFrom,
  InventoryEventType,
} from '../index';
import { EventSchemaError } from './errors';
import { eventCodec, eventReader } from './events';
import { totalOf } from './money';
import { spec } from '../testing/decider-spec';

// Upcasting: how a changed event shape will be introduced without rewriting the log.
const catalogue = {
  ParcelShipped: {
    schemaVersion: 3,
    data: z.object({ orderId: z.string(), carrier: z.string(), trackingNumber: z.string() }),
    upcasters: {
      1: (v1: unknown) => ({ ...(v1 as object), carrier: 'unknown' }),
      2: (v2: unknown) => {
        const { tracking, ...rest } = v2 as { tracking: string };
        return { ...rest, trackingNumber: tracking };
      },
    },
  },
  ParcelLost: { schemaVersion: 2, data: z.object({ orderId: z.string() }) },
} as const;
const readParcelEvent = eventReader(catalogue);
const current = { type: 'ParcelShipped', data: { orderId: 'o1', carrier: 'unknown', trackingNumber: 'T1' } };

test('upcasts v1 data through every later version', () =>
  assert.equal(readParcelEvent({ type: 'ParcelShipped', data: { orderId: 'o1', tracking: 'T1' }, schemaVersion: 1 }), current));
test('upcasts v2 data to the current version', () =>
  assert.equal(
    readParcelEvent({ type: 'ParcelShipped', data: { orderId: 'o1', carrier: 'unknown', tracking: 'T1' }, schemaVersion: 2 }),
    current,
  ));
test('reads current data as it is', () =>
  assert.equal(readParcelEvent({ type: 'ParcelShipped', data: current.data, schemaVersion: 3 }), current));
test('refuses an old version with no upcaster', () =>
  assert.throws(
    () => readParcelEvent({ type: 'ParcelLost', data: { orderId: 'o1' }, schemaVersion: 1 }),
    /ParcelLost v1 is not supported/,
  ));
test('the error names the event type and version', () => {
  try {
    readParcelEvent({ type: 'ParcelShipped', data: current.data, schemaVersion: 4 });
    assert.unreachable();
  } catch (error) {
    assert.instance(error, EventSchemaError);
    assert.equal([(error as EventSchemaError).eventType, (error as EventSchemaError).schemaVersion], ['ParcelShipped', 4]);
  }
});
test('does not mistake Object.prototype members for event types', () =>
  assert.throws(() => readParcelEvent({ type: 'toString', data: {}, schemaVersion: 1 }), /unknown event type/));

// The whole domain's events, as a projector reads them from $all
test('reads any domain event by its type', () =>
  assert.equal(
    readShopEvent({
      type: 'OrderConfirmed',
      data: { orderId: 'o1', confirmedAt: '2025-03-01T10:00:00.000Z' },
      schemaVersion: orderSchemaVersion.OrderConfirmed,
    }),
    {
      type: 'OrderConfirmed',
      data: { orderId: 'o1', confirmedAt: '2025-03-01T10:00:00.000Z' },
    },
  ));
test("refuses an event type that is not the domain's", () =>
  assert.throws(() => readShopEvent({ type: 'CheckoutStarted', data: {}, schemaVersion: 1 }), /unknown event type 'CheckoutStarted'/));
test('tells domain event types from others', () =>
  assert.equal(
    [isShopEventType('StockReserved'), isShopEventType('PaymentRefunded'), isShopEventType('CheckoutStarted')],
    [true, true, false],
  ));
// Codecs: the version an event is written with, and reading it back
const confirmed = { type: 'OrderConfirmed', data: { orderId: 'o1', confirmedAt: '2025-03-01T10:00:00.000Z' } } as const;
test('a codec writes each event type with its current version', () => {
  assert.is(eventCodec(catalogue).schemaVersionOf({ type: 'ParcelLost', data: { orderId: 'o1' } }), 2);
  assert.is(orderCodec.schemaVersionOf(confirmed), orderSchemaVersion.OrderConfirmed);
  assert.is(shopCodec.schemaVersionOf({ type: 'StockReceived', data: { sku: 'S1', quantity: 1 } }), 1);
});
test('a codec reads back through the reader (upcasting, validation)', () => {
  assert.equal(eventCodec(catalogue).decode({ type: 'ParcelShipped', data: { orderId: 'o1', tracking: 'T1' }, schemaVersion: 1 }), current);
  assert.equal(shopCodec.decode({ ...confirmed, schemaVersion: 1 }), confirmed);
  assert.throws(
    () => orderCodec.decode({ type: 'OrderConfirmed', data: { orderId: 'o1' }, schemaVersion: 1 }),
    /OrderConfirmed v1 has invalid data/,
  );
});
test('names event types as constants', () => assert.is(InventoryEventType.StockReserved, 'StockReserved'));

// Money
test('totals lines in minor units', () =>
  assert.equal(
    totalOf([
      { unitPrice: { amount: 199, currency: 'EUR' }, quantity: 3 },
      { unitPrice: { amount: 1, currency: 'EUR' }, quantity: 1 },
    ]),
    { amount: 598, currency: 'EUR' },
  ));

// The decider helpers
const registered = { type: 'ProductRegistered', data: { sku: 'S1', name: 'Mug', price: { amount: 100, currency: 'EUR' } } } as const;
test('folds a stream into state', () =>
  assert.is(
    (stateFrom(inventoryDecider, [registered, { type: 'StockReceived', data: { sku: 'S1', quantity: 3 } }]) as { onHand: number }).onHand,
    3,
  ));
test('spec fails when the events differ', () =>
  failsWith(
    () =>
      spec(inventoryDecider)
        .given([registered])
        .when({ type: 'ReceiveStock', data: { sku: 'S1', quantity: 3 } })
        .then([]),
    /deeply equal/,
  ));
test('spec fails when an expected error does not happen', () =>
  failsWith(
    () =>
      spec(inventoryDecider)
        .given([registered])
        .when({ type: 'ReceiveStock', data: { sku: 'S1', quantity: 3 } })
        .thenThrows('not_registered'),
    /expected DomainError 'not_registered', got events/,
  ));
test('spec fails when the error has another code', () =>
  failsWith(
    () => spec(inventoryDecider).given([registered]).when({ type: 'RegisterProduct', data: registered.data }).thenThrows('not_registered'),
    /got 'already_registered'/,
  ));

/** uvu's assert.throws lets assertion failures through, and those are what these tests expect. */
function failsWith(run: () => void, message: RegExp): void {
  try {
    run();
  } catch (error) {
    assert.match((error as Error).message, message);
    return;
  }
  assert.unreachable('expected the specification to fail');
}

test.run();
