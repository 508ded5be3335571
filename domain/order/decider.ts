/**
 * An order (stream `order-{orderId}`): placed by a customer, then confirmed or cancelled by the
 * checkout saga. Confirmed and cancelled are final. A customer's cancellation is a request: the
 * saga, which may be holding stock and money for the order, is the one that cancels it.
 *
 * Repeating the command that produced the current state (confirming a confirmed order,
 * cancelling a cancelled one, requesting cancellation twice) is a no-op, so the saga and the
 * API can retry freely; anything that would change a final order is an `order_already_final`.
 */
import { validated } from '../shared/decider';
import { DomainError } from '../shared/errors';
import { totalOf, type Money } from '../shared/money';
import type { CustomerId, OrderId } from '../shared/values';
import { OrderCommand } from './commands';
import type { CancellationReason, OrderEvent, OrderLine } from './events';

export type OrderStatus = 'placed' | 'cancellation_requested' | 'confirmed' | 'cancelled';

export type OrderState =
  | { readonly status: 'not_placed' }
  | {
      readonly status: OrderStatus;
      readonly orderId: OrderId;
      readonly customerId: CustomerId;
      readonly lines: readonly OrderLine[];
      readonly total: Money;
      readonly paymentToken: string;
      readonly cancellationReason?: CancellationReason;
    };

type PlacedOrder = Exclude<OrderState, { status: 'not_placed' }>;

export function initialState(): OrderState {
  return { status: 'not_placed' };
}

export function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  const { type, data } = validated(OrderCommand, command);
  if (state.status !== 'not_placed' && state.orderId !== data.orderId) {
    throw new Error(`${type} for order ${data.orderId} was run against the stream of order ${state.orderId}`);
  }

  switch (type) {
    case 'PlaceOrder': {
      if (state.status !== 'not_placed') throw new DomainError('order_already_placed', `order ${data.orderId} already exists`);
      // Each SKU is one reservation in the checkout, keyed by order id.
      const skus = new Set(data.lines.map((line) => line.sku));
      if (skus.size !== data.lines.length) throw new DomainError('validation', 'each SKU may appear on only one line');
      const total = totalOf(data.lines); // rejects mixed currencies
      return [{ type: 'OrderPlaced', data: { ...data, total } }];
    }

    case 'ConfirmOrder': {
      const order = placed(state, data.orderId);
      if (order.status === 'confirmed') return [];
      if (order.status === 'cancelled') throw final(order);
      // The customer's wish wins over a checkout that finished a moment later: the saga refunds.
      if (order.status === 'cancellation_requested') {
        throw new DomainError('cancellation_requested', `the customer asked to cancel order ${order.orderId}`);
      }
      return [{ type: 'OrderConfirmed', data }];
    }

    case 'RequestOrderCancellation': {
      const order = placed(state, data.orderId);
      // Checked first so another customer learns nothing about the order's state.
      if (data.requestedBy !== order.customerId) {
        throw new DomainError('not_order_customer', `order ${order.orderId} belongs to another customer`);
      }
      if (order.status === 'cancellation_requested') return [];
      if (order.status === 'confirmed' || order.status === 'cancelled') throw final(order);
      return [{ type: 'OrderCancellationRequested', data }];
    }

    case 'CancelOrder': {
      const order = placed(state, data.orderId);
      if (order.status === 'cancelled') return [];
      if (order.status === 'confirmed') throw final(order);
      if (data.reason === 'customer_request' && order.status !== 'cancellation_requested') {
        throw new DomainError('cancellation_not_requested', `the customer has not asked to cancel order ${order.orderId}`);
      }
      return [{ type: 'OrderCancelled', data }];
    }
  }
}

export function evolve(state: OrderState, event: OrderEvent): OrderState {
  if (event.type === 'OrderPlaced') {
    const { orderId, customerId, lines, total, paymentToken } = event.data;
    return { status: 'placed', orderId, customerId, lines, total, paymentToken };
  }
  // Every other event follows OrderPlaced: decide refuses them before it.
  if (state.status === 'not_placed') return state;

  switch (event.type) {
    case 'OrderConfirmed':
      return { ...state, status: 'confirmed' };
    case 'OrderCancellationRequested':
      return { ...state, status: 'cancellation_requested' };
    case 'OrderCancelled':
      return { ...state, status: 'cancelled', cancellationReason: event.data.reason };
  }
}

function placed(state: OrderState, orderId: OrderId): PlacedOrder {
  if (state.status === 'not_placed') throw new DomainError('order_not_found', `order ${orderId} has not been placed`);
  return state;
}

function final(order: PlacedOrder): DomainError {
  return new DomainError('order_already_final', `order ${order.orderId} is already ${order.status}`);
}
