/**
 * Folding a product's stream: `npm run bench:inventory-fold`.
 *
 * Every process that handles a product (the command API placing orders, the saga reserving
 * stock) folds its `inventory-{sku}` stream from the start once, then keeps it up to date. The
 * stream grows with every order that ever bought the product, so the cost per event must not
 * grow with the history: a state that copied its per-order maps on every event made folding
 * quadratic (20,000 orders of one SKU took 111 s; 2026-12-04, before the persistent maps).
 *
 * Figures: the time to fold the reservations and commits of N orders, for a small and a 10×
 * larger N, against the same run's floor: folding as many StockReceived events, whose state does
 * not grow. Held: the cost per event at 10× the history stays within 3× of the small one's
 * (linear growth would make it 10×), and within 20× of the floor.
 */
import { inventoryDecider, type InventoryEvent, type InventoryState } from '../../domain';

const SMALL = Number(process.env.BENCH_ORDERS ?? 20_000);
const LARGE = SMALL * 10;
const sku = 'SKU-1';

function registered(quantity: number): InventoryState {
  const events: InventoryEvent[] = [
    { type: 'ProductRegistered', data: { sku, name: 'Mug', price: { amount: 999, currency: 'EUR' } } },
    { type: 'StockReceived', data: { sku, quantity } },
  ];
  return events.reduce(inventoryDecider.evolve, inventoryDecider.initialState());
}

/** Milliseconds to fold `orders` orders (a reservation and a commit each), and the state after. */
function foldOrders(orders: number): { ms: number; state: InventoryState } {
  const events: InventoryEvent[] = [];
  for (let i = 0; i < orders; i++) {
    events.push({ type: 'StockReserved', data: { sku, orderId: `order-${i}`, quantity: 1 } });
    // Some orders are abandoned: their stock comes back, and they are settled all the same.
    if (i % 10 === 9) events.push({ type: 'StockReleased', data: { sku, orderId: `order-${i}`, quantity: 1 } });
    else events.push({ type: 'StockCommitted', data: { sku, orderId: `order-${i}`, quantity: 1 } });
  }
  const started = performance.now();
  const state = events.reduce(inventoryDecider.evolve, registered(orders));
  return { ms: performance.now() - started, state };
}

function foldReceipts(count: number): number {
  const events: InventoryEvent[] = Array.from({ length: count }, () => ({ type: 'StockReceived', data: { sku, quantity: 1 } }));
  const started = performance.now();
  events.reduce(inventoryDecider.evolve, registered(0));
  return performance.now() - started;
}

// Warm-up (JIT), not measured.
foldOrders(SMALL);
foldReceipts(2 * SMALL);

const small = foldOrders(SMALL);
const large = foldOrders(LARGE);
const floor = foldReceipts(2 * LARGE);
if (
  large.state.status !== 'registered' ||
  large.state.sold !== LARGE - LARGE / 10 ||
  large.state.reservedByOrder.size !== 0 ||
  large.state.settledOrders.size !== LARGE
) {
  throw new Error('the fold did not end where it should');
}

const perEvent = (ms: number, orders: number) => (ms * 1000) / (2 * orders);
const figures = {
  smallOrders: SMALL,
  smallFoldMs: Number(small.ms.toFixed(1)),
  largeOrders: LARGE,
  largeFoldMs: Number(large.ms.toFixed(1)),
  microsecondsPerEventSmall: Number(perEvent(small.ms, SMALL).toFixed(3)),
  microsecondsPerEventLarge: Number(perEvent(large.ms, LARGE).toFixed(3)),
  floorMicrosecondsPerEvent: Number(perEvent(floor, LARGE).toFixed(3)),
};
const growth = figures.microsecondsPerEventLarge / figures.microsecondsPerEventSmall;
const overFloor = figures.microsecondsPerEventLarge / figures.floorMicrosecondsPerEvent;
console.log(JSON.stringify({ ...figures, growth: Number(growth.toFixed(2)), overFloor: Number(overFloor.toFixed(1)) }, null, 2));
console.log(
  `inventory fold: ${LARGE} orders in ${figures.largeFoldMs} ms (${figures.microsecondsPerEventLarge} µs/event), ${SMALL} in ${figures.smallFoldMs} ms; ` +
    `cost per event ×${growth.toFixed(2)} for 10× the history (limit 3), ×${overFloor.toFixed(1)} the same run's StockReceived floor (limit 20)`,
);
if (growth > 3 || overFloor > 20) {
  console.error('limit exceeded');
  process.exitCode = 1;
}
