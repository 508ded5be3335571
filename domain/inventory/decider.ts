/**
 * Stock of one product (stream `inventory-{sku}`).
 *
 * THE INVARIANT: available stock = on hand − reserved, and it never goes below zero. Units
 * promised to an order are reserved until that order is paid (committed: they leave on hand as
 * sold) or abandoned (released: they become available again). Only a reservation lowers available
 * stock, so ReserveStock is where the shop says no; `decide` then re-checks the invariant on the
 * state its events would produce, so no rule added later can break it unnoticed.
 */
import { Map as PersistentMap } from 'immutable';
import { DomainError } from '../shared/errors';
import { sameMoney, type Money } from '../shared/money';
import { validated } from '../shared/decider';
import type { OrderId, Sku } from '../shared/values';
import { InventoryCommand } from './commands';
import type { InventoryEvent } from './events';

export type InventoryState =
  | { readonly status: 'unregistered' }
  | {
      readonly status: 'registered';
      readonly sku: Sku;
      readonly name: string;
      readonly price: Money;
      /** Units in the warehouse, reserved ones included. */
      readonly onHand: number;
      /**
       * Units held for each order that is still being checked out. Both maps are persistent
       * (immutable.js): `evolve` returns a new state sharing most of the old one, so a change costs
       * O(log n), not a copy of every order the product has ever had (which made folding a
       * product's stream quadratic: 20,000 orders of one SKU took 111 s to fold).
       */
      readonly reservedByOrder: PersistentMap<OrderId, number>;
      readonly sold: number;
      /**
       * Orders whose reservation is over. A reservation is keyed by order id and happens at most
       * once: a late retry of ReserveStock for an order the checkout has already settled must not
       * hold stock that nobody will ever release.
       */
      readonly settledOrders: PersistentMap<OrderId, 'rejected' | 'released' | 'committed'>;
    };

type Product = Extract<InventoryState, { status: 'registered' }>;

export function initialState(): InventoryState {
  return { status: 'unregistered' };
}

export function decide(command: InventoryCommand, state: InventoryState): InventoryEvent[] {
  const valid = validated(InventoryCommand, command);
  const { type, data } = valid;
  if (state.status === 'registered' && state.sku !== data.sku) {
    throw new Error(`${type} for SKU ${data.sku} was run against the stream of SKU ${state.sku}`);
  }

  const events = decideFor(valid, state);

  // Stock never goes negative. Reaching this throw is a bug in a rule below, not an answer to the
  // user, hence a plain Error rather than a DomainError.
  const after = events.reduce(evolve, state);
  if (after.status === 'registered' && (available(after) < 0 || after.onHand < 0)) {
    throw new Error(`${type} would leave SKU ${data.sku} with ${available(after)} available and ${after.onHand} on hand`);
  }
  return events;
}

function decideFor(command: InventoryCommand, state: InventoryState): InventoryEvent[] {
  switch (command.type) {
    case 'RegisterProduct': {
      if (state.status === 'registered') throw new DomainError('already_registered', `SKU ${state.sku} is already registered`);
      return [{ type: 'ProductRegistered', data: command.data }];
    }

    case 'ChangeProductPrice': {
      const product = registered(state, command.data.sku);
      const { price } = command.data;
      // Sales figures per SKU are summed in one currency; selling in another is a new listing.
      if (price.currency !== product.price.currency) {
        throw new DomainError('currency_mismatch', `SKU ${product.sku} is priced in ${product.price.currency}, not ${price.currency}`);
      }
      if (sameMoney(price, product.price)) return [];
      return [{ type: 'ProductPriceChanged', data: { sku: product.sku, price, previousPrice: product.price } }];
    }

    case 'ReceiveStock': {
      const product = registered(state, command.data.sku);
      // Counts stay exact: a JavaScript number holds whole numbers exactly only up to 2^53 − 1.
      if (product.onHand + command.data.quantity > Number.MAX_SAFE_INTEGER) {
        throw new DomainError('validation', `SKU ${product.sku} would hold more than ${Number.MAX_SAFE_INTEGER} units`);
      }
      return [{ type: 'StockReceived', data: { sku: product.sku, quantity: command.data.quantity } }];
    }

    case 'ReserveStock': {
      const product = registered(state, command.data.sku);
      const { orderId, quantity } = command.data;
      if (product.reservedByOrder.has(orderId) || product.settledOrders.has(orderId)) return [];
      // Not enough is an answer, not an error: the checkout saga cancels the order on it.
      if (quantity > available(product)) {
        return [
          {
            type: 'StockReservationRejected',
            data: { sku: product.sku, orderId, quantity, available: available(product), reason: 'insufficient_stock' },
          },
        ];
      }
      return [{ type: 'StockReserved', data: { sku: product.sku, orderId, quantity } }];
    }

    case 'ReleaseStock': {
      // Compensations must always succeed, so releasing what was never reserved (or is already
      // released, or was rejected) does nothing rather than failing the saga's retry.
      if (state.status !== 'registered') return [];
      const { orderId } = command.data;
      if (state.settledOrders.get(orderId) === 'committed') {
        throw new DomainError('stock_already_committed', `order ${orderId} has already bought SKU ${state.sku}; a return is not a release`);
      }
      const quantity = state.reservedByOrder.get(orderId);
      if (quantity === undefined) return [];
      return [{ type: 'StockReleased', data: { sku: state.sku, orderId, quantity } }];
    }

    case 'CommitStock': {
      const product = registered(state, command.data.sku);
      const { orderId } = command.data;
      if (product.settledOrders.get(orderId) === 'committed') return [];
      const quantity = product.reservedByOrder.get(orderId);
      if (quantity === undefined) {
        throw new DomainError('reservation_not_found', `order ${orderId} holds no reservation of SKU ${product.sku}`);
      }
      return [{ type: 'StockCommitted', data: { sku: product.sku, orderId, quantity } }];
    }
  }
}

export function evolve(state: InventoryState, event: InventoryEvent): InventoryState {
  if (event.type === 'ProductRegistered') {
    const { sku, name, price } = event.data;
    return { status: 'registered', sku, name, price, onHand: 0, reservedByOrder: PersistentMap(), sold: 0, settledOrders: PersistentMap() };
  }
  // Every other event follows a registration: decide refuses them before it.
  if (state.status !== 'registered') return state;

  switch (event.type) {
    case 'ProductPriceChanged':
      return { ...state, price: event.data.price };
    case 'StockReceived':
      return { ...state, onHand: state.onHand + event.data.quantity };
    case 'StockReserved':
      return { ...state, reservedByOrder: state.reservedByOrder.set(event.data.orderId, event.data.quantity) };
    case 'StockReservationRejected':
      return { ...state, settledOrders: settle(state, event.data.orderId, 'rejected') };
    case 'StockReleased':
      return {
        ...state,
        reservedByOrder: state.reservedByOrder.remove(event.data.orderId),
        settledOrders: settle(state, event.data.orderId, 'released'),
      };
    case 'StockCommitted':
      return {
        ...state,
        onHand: state.onHand - event.data.quantity,
        sold: state.sold + event.data.quantity,
        reservedByOrder: state.reservedByOrder.remove(event.data.orderId),
        settledOrders: settle(state, event.data.orderId, 'committed'),
      };
  }
}

function available(product: Product): number {
  let reserved = 0;
  for (const quantity of product.reservedByOrder.values()) reserved += quantity;
  return product.onHand - reserved;
}

function registered(state: InventoryState, sku: Sku): Product {
  if (state.status !== 'registered') throw new DomainError('not_registered', `SKU ${sku} is not registered`);
  return state;
}

function settle(product: Product, orderId: OrderId, outcome: 'rejected' | 'released' | 'committed') {
  return product.settledOrders.set(orderId, outcome);
}
