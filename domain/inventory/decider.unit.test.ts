import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DomainError, isDomainError } from '../shared/errors';
import { spec } from '../testing/decider-spec';
import {
  inventoryDecider,
  inventoryStream,
  readInventoryEvent,
  type InventoryCommand,
  type InventoryEvent,
  type InventoryState,
} from './index';
import { seededRandom } from '../../platform/testing/seeded-random';

const sku = 'MUG-BLUE';
const price = { amount: 1250, currency: 'EUR' };

const register = (over: Partial<{ sku: string; name: string; price: unknown }> = {}) =>
  ({ type: 'RegisterProduct', data: { sku, name: 'Blue mug', price, ...over } }) as InventoryCommand;
const changePrice = (amount: number, currency = 'EUR'): InventoryCommand => ({
  type: 'ChangeProductPrice',
  data: { sku, price: { amount, currency } },
});
const receive = (quantity: number): InventoryCommand => ({ type: 'ReceiveStock', data: { sku, quantity } });
const reserve = (orderId: string, quantity: number): InventoryCommand => ({ type: 'ReserveStock', data: { sku, orderId, quantity } });
const release = (orderId: string): InventoryCommand => ({ type: 'ReleaseStock', data: { sku, orderId } });
const commit = (orderId: string): InventoryCommand => ({ type: 'CommitStock', data: { sku, orderId } });

const registered: InventoryEvent = { type: 'ProductRegistered', data: { sku, name: 'Blue mug', price } };
const priceChanged = (amount: number, previous = 1250): InventoryEvent => ({
  type: 'ProductPriceChanged',
  data: { sku, price: { amount, currency: 'EUR' }, previousPrice: { amount: previous, currency: 'EUR' } },
});
const received = (quantity: number): InventoryEvent => ({ type: 'StockReceived', data: { sku, quantity } });
const reserved = (orderId: string, quantity: number): InventoryEvent => ({ type: 'StockReserved', data: { sku, orderId, quantity } });
const rejected = (orderId: string, quantity: number, available: number): InventoryEvent => ({
  type: 'StockReservationRejected',
  data: { sku, orderId, quantity, available, reason: 'insufficient_stock' },
});
const released = (orderId: string, quantity: number): InventoryEvent => ({ type: 'StockReleased', data: { sku, orderId, quantity } });
const committed = (orderId: string, quantity: number): InventoryEvent => ({ type: 'StockCommitted', data: { sku, orderId, quantity } });

const given = spec(inventoryDecider).given;

// Registering
test('registers a product', () => given([]).when(register()).then([registered]));
test('rejects registering a SKU twice', () => given([registered]).when(register()).thenThrows('already_registered'));
test('rejects a price that is not an integer of minor units', () =>
  given([])
    .when(register({ price: { amount: 12.5, currency: 'EUR' } }))
    .thenThrows('validation'));
test('rejects a zero price', () =>
  given([])
    .when(register({ price: { amount: 0, currency: 'EUR' } }))
    .thenThrows('validation'));
test('rejects a currency that is not ISO 4217', () =>
  given([])
    .when(register({ price: { amount: 100, currency: 'eur' } }))
    .thenThrows('validation'));
test('rejects an empty name', () =>
  given([])
    .when(register({ name: '  ' }))
    .thenThrows('validation'));
test('rejects a SKU that cannot be part of a stream name', () =>
  given([])
    .when(register({ sku: 'mug blue/1' }))
    .thenThrows('validation'));
test('rejects a name with a control character or a lone surrogate (a read model could not store them)', () => {
  for (const name of ['Blue\u0000mug', 'Blue\nmug', 'Blue\u0007', '\u009bmug', 'Blue\ud800mug'])
    given([]).when(register({ name })).thenThrows('validation');
});
test('an event already written with one still reads: the rule is the command’s', () =>
  assert.equal(readInventoryEvent({ type: 'ProductRegistered', data: { sku, name: 'Blue\u0000mug', price }, schemaVersion: 1 }).data, {
    sku,
    name: 'Blue\u0000mug',
    price,
  }));

// Pricing
test('changes the price', () =>
  given([registered])
    .when(changePrice(1400))
    .then([priceChanged(1400)]));
test('records the previous price on a second change', () =>
  given([registered, priceChanged(1400)])
    .when(changePrice(999))
    .then([priceChanged(999, 1400)]));
test('setting the same price is a no-op', () => given([registered]).when(changePrice(1250)).thenNothing());
test('rejects changing the price of an unregistered SKU', () => given([]).when(changePrice(1400)).thenThrows('not_registered'));
test('rejects changing the currency', () => given([registered]).when(changePrice(1250, 'USD')).thenThrows('currency_mismatch'));

// Receiving
test('receives stock', () =>
  given([registered])
    .when(receive(10))
    .then([received(10)]));
test('rejects receiving stock for an unregistered SKU', () => given([]).when(receive(10)).thenThrows('not_registered'));
test('receives past 2^31 units, but not past what a number holds exactly', () => {
  given([registered])
    .when(receive(3_000_000_000))
    .then([received(3_000_000_000)]);
  given([registered, received(Number.MAX_SAFE_INTEGER - 5)])
    .when(receive(5))
    .then([received(5)]);
  given([registered, received(Number.MAX_SAFE_INTEGER - 5)])
    .when(receive(6))
    .thenThrows('validation');
});
test('rejects receiving zero units', () => given([registered]).when(receive(0)).thenThrows('validation'));
test('rejects receiving a fraction of a unit', () => given([registered]).when(receive(1.5)).thenThrows('validation'));

// Reserving
test('reserves available stock', () =>
  given([registered, received(10)])
    .when(reserve('o1', 4))
    .then([reserved('o1', 4)]));
test('reserves every last unit', () =>
  given([registered, received(10), reserved('o1', 4)])
    .when(reserve('o2', 6))
    .then([reserved('o2', 6)]));
test('rejects (as an event) a reservation beyond available stock', () =>
  given([registered, received(10), reserved('o1', 4)])
    .when(reserve('o2', 7))
    .then([rejected('o2', 7, 6)]));
test('rejects (as an event) a reservation when nothing is in stock', () =>
  given([registered])
    .when(reserve('o1', 1))
    .then([rejected('o1', 1, 0)]));
test('reserving twice for one order is a no-op', () =>
  given([registered, received(10), reserved('o1', 4)])
    .when(reserve('o1', 4))
    .thenNothing());
test('reserving again after a rejection is a no-op', () =>
  given([registered, rejected('o1', 4, 0), received(10)])
    .when(reserve('o1', 4))
    .thenNothing());
test('reserving again after a release is a no-op', () =>
  given([registered, received(10), reserved('o1', 4), released('o1', 4)])
    .when(reserve('o1', 4))
    .thenNothing());
test('reserving again after a commit is a no-op', () =>
  given([registered, received(10), reserved('o1', 4), committed('o1', 4)])
    .when(reserve('o1', 4))
    .thenNothing());
test('released stock is available again', () =>
  given([registered, received(10), reserved('o1', 10), released('o1', 10)])
    .when(reserve('o2', 10))
    .then([reserved('o2', 10)]));
test('sold stock is not available again', () =>
  given([registered, received(10), reserved('o1', 4), committed('o1', 4)])
    .when(reserve('o2', 7))
    .then([rejected('o2', 7, 6)]));
test('rejects reserving an unregistered SKU', () => given([]).when(reserve('o1', 1)).thenThrows('not_registered'));
test('rejects reserving zero units', () =>
  given([registered, received(10)])
    .when(reserve('o1', 0))
    .thenThrows('validation'));

// Releasing
test('releases a reservation', () =>
  given([registered, received(10), reserved('o1', 4)])
    .when(release('o1'))
    .then([released('o1', 4)]));
test('releasing an unknown reservation is a no-op', () =>
  given([registered, received(10)])
    .when(release('o1'))
    .thenNothing());
test('releasing twice is a no-op', () =>
  given([registered, received(10), reserved('o1', 4), released('o1', 4)])
    .when(release('o1'))
    .thenNothing());
test('releasing a rejected reservation is a no-op', () =>
  given([registered, rejected('o1', 4, 0)])
    .when(release('o1'))
    .thenNothing());
test('releasing on an unregistered SKU is a no-op', () => given([]).when(release('o1')).thenNothing());
test('rejects releasing stock already sold to the order', () =>
  given([registered, received(10), reserved('o1', 4), committed('o1', 4)])
    .when(release('o1'))
    .thenThrows('stock_already_committed'));

// Committing
test('commits a reservation', () =>
  given([registered, received(10), reserved('o1', 4)])
    .when(commit('o1'))
    .then([committed('o1', 4)]));
test('committing twice is a no-op', () =>
  given([registered, received(10), reserved('o1', 4), committed('o1', 4)])
    .when(commit('o1'))
    .thenNothing());
test('rejects committing without a reservation', () =>
  given([registered, received(10)])
    .when(commit('o1'))
    .thenThrows('reservation_not_found'));
test('rejects committing a released reservation', () =>
  given([registered, received(10), reserved('o1', 4), released('o1', 4)])
    .when(commit('o1'))
    .thenThrows('reservation_not_found'));
test('rejects committing on an unregistered SKU', () => given([]).when(commit('o1')).thenThrows('not_registered'));

// State
test('keeps on hand, reservations by order, sold, price and name', () => {
  const state = [
    registered,
    priceChanged(1400),
    received(10),
    reserved('o1', 4),
    reserved('o2', 3),
    committed('o1', 4),
    released('o2', 3),
    reserved('o3', 2),
  ].reduce(inventoryDecider.evolve, inventoryDecider.initialState());
  assert.ok(state.status === 'registered');
  // The maps are persistent ones; their contents are what matters, not how they were built.
  assert.equal(
    { ...state, reservedByOrder: state.reservedByOrder.toObject(), settledOrders: state.settledOrders.toObject() },
    {
      status: 'registered',
      sku,
      name: 'Blue mug',
      price: { amount: 1400, currency: 'EUR' },
      onHand: 6,
      reservedByOrder: { o3: 2 },
      sold: 4,
      settledOrders: { o1: 'committed', o2: 'released' },
    },
  );
});

test('order ids that are names of Object.prototype members are ordinary orders', () =>
  given([registered, received(10)])
    .when(reserve('constructor', 4))
    .then([reserved('constructor', 4)]));

test('refuses a command for another SKU than the stream holds (a wiring bug, not a business rule)', () => {
  const state = [registered].reduce(inventoryDecider.evolve, inventoryDecider.initialState());
  assert.throws(
    () => inventoryDecider.decide({ type: 'ReceiveStock', data: { sku: 'OTHER', quantity: 1 } }, state),
    (error: unknown) => !isDomainError(error),
  );
});

test('domain errors carry a code and a human message for the API', () => {
  try {
    inventoryDecider.decide(receive(1), inventoryDecider.initialState());
    assert.unreachable();
  } catch (error) {
    assert.instance(error, DomainError);
    assert.equal((error as DomainError).toJSON(), { code: 'not_registered', message: 'SKU MUG-BLUE is not registered' });
  }
});

// Stored events
test('names the stream after the SKU', () => assert.is(inventoryStream(sku), 'inventory-MUG-BLUE'));
test('reads a stored v1 event', () =>
  assert.equal(
    readInventoryEvent({ type: 'StockReserved', data: { sku, orderId: 'o1', quantity: 2 }, schemaVersion: 1 }),
    reserved('o1', 2),
  ));
test('refuses a stored event of an unknown version', () =>
  assert.throws(
    () => readInventoryEvent({ type: 'StockReserved', data: { sku, orderId: 'o1', quantity: 2 }, schemaVersion: 2 }),
    /StockReserved v2 was written by a newer release/,
  ));
test('refuses a stored event without a schema version', () =>
  assert.throws(
    () => readInventoryEvent({ type: 'StockReserved', data: { sku, orderId: 'o1', quantity: 2 }, schemaVersion: undefined }),
    /no valid schemaVersion/,
  ));
test('refuses stored data that breaks its schema', () =>
  assert.throws(
    () => readInventoryEvent({ type: 'StockReserved', data: { sku, orderId: 'o1', quantity: -2 }, schemaVersion: 1 }),
    /StockReserved v1 has invalid data/,
  ));
test('refuses an unknown stored event type', () =>
  assert.throws(() => readInventoryEvent({ type: 'StockStolen', data: {}, schemaVersion: 1 }), /unknown event type 'StockStolen'/));

// The invariant, over random histories
test('random receive/reserve/release/commit sequences never make available stock negative', () => {
  const seen = new Set<string>();
  for (let seed = 1; seed <= 200; seed++) {
    const random = seededRandom(seed);
    const pick = (n: number) => Math.floor(random() * n);
    let state: InventoryState = inventoryDecider.evolve(inventoryDecider.initialState(), registered);
    let receivedTotal = 0;
    for (let step = 0; step < 200; step++) {
      // New orders keep arriving while recent ones are released, committed or retried.
      const orderId = `o${Math.max(0, step - pick(8))}`;
      const command = [() => receive(1 + pick(5)), () => reserve(orderId, 1 + pick(8)), () => release(orderId), () => commit(orderId)][
        pick(4)
      ]!();
      let events: readonly InventoryEvent[] = [];
      try {
        events = inventoryDecider.decide(command, state);
      } catch (error) {
        if (!isDomainError(error)) throw error;
      }
      for (const event of events) {
        seen.add(event.type);
        if (event.type === 'StockReceived') receivedTotal += event.data.quantity;
        state = inventoryDecider.evolve(state, event);
      }
      assert.is(state.status, 'registered');
      if (state.status !== 'registered') return;
      const reservedTotal = [...state.reservedByOrder.values()].reduce((sum, quantity) => sum + quantity, 0);
      const context = `seed ${seed}, step ${step}, ${JSON.stringify(command)}`;
      assert.ok(state.onHand - reservedTotal >= 0, `available went negative: ${context}`);
      assert.is(state.onHand + state.sold, receivedTotal, `units were created or lost: ${context}`);
    }
  }
  assert.equal([...seen].sort(), ['StockCommitted', 'StockReceived', 'StockReleased', 'StockReservationRejected', 'StockReserved']);
});

test.run();
