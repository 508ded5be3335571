/**
 * Placing an order: the prices are the shop's, not the client's. The handler reads the inventory
 * stream of every line to check the SKU exists and to take its current price, then lets the order
 * decider total the order and appends `OrderPlaced` to the new stream `order-{orderId}`.
 *
 * The order id is made here: a fresh UUID, or — under an Idempotency-Key — one derived from the
 * key, so a retry after a crash names the same order. The stream is expected new (decided on the
 * initial state, appended expecting `no_stream`), with event ids derived from the key too, so a
 * repeat of a write that already happened is dropped by the event store and answered with the
 * original revision and position.
 *
 * Stock is not checked or reserved here: the checkout saga reserves it after `OrderPlaced`.
 */
import { inventoryCodec, inventoryDecider, inventoryStream, orderStream, type InventoryState, type OrderLine } from '../../../domain';
import { EVENT_ID_NAMESPACE, catchUpStream, uuidV5, type CausationMetadata, type FoldedStream } from '../../../platform/eventstore';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { CoalescedReads } from '../../shared/coalesced-reads';
import { writtenJson, type CommandDeps } from '../../shared/command';
import type { CommandAnswer, Execution } from '../../shared/idempotency';
import { unknownSkus } from '../../shared/problems';

export interface PlaceOrderInput {
  customerId: string;
  lines: ReadonlyArray<{ sku: string; quantity: number }>;
  paymentToken: string;
}

/**
 * The current state of inventory streams, read as placing orders needs them (coalesced, see
 * coalesced-reads.ts). Every order still reads its lines' inventory streams (so prices are as
 * fresh as a read), but only the events after the revision this process last folded: the saga
 * adds events to a product's stream with every checkout, and folding it whole per order grows
 * without bound. One entry per product ordered: the catalogue bounds it.
 */
export function inventoryReads(client: EventStoreDBClient): CoalescedReads<InventoryState> {
  const folded = new Map<string, FoldedStream<InventoryState>>();
  return new CoalescedReads(async (stream) => {
    const known = folded.get(stream) ?? { state: inventoryDecider.initialState(), revision: 'no_stream' };
    const caughtUp = await catchUpStream(client, stream, inventoryDecider, { known, codec: inventoryCodec });
    folded.set(stream, caughtUp);
    return caughtUp.state;
  });
}

export function orderIdFor(execution: Execution | undefined, newId: () => string): string {
  return execution ? uuidV5(`order/${execution.eventIdKey}`, EVENT_ID_NAMESPACE) : newId();
}

export async function placeOrder(
  deps: CommandDeps & { inventoryReads: CoalescedReads<InventoryState> },
  input: PlaceOrderInput,
  metadata: CausationMetadata,
  execution: Execution | undefined,
): Promise<CommandAnswer> {
  const orderId = orderIdFor(execution, deps.newId);
  const stream = orderStream(orderId);

  const products = await Promise.all(input.lines.map((line) => deps.inventoryReads.read(inventoryStream(line.sku))));
  const unknown = input.lines.filter((_, index) => products[index]?.status !== 'registered').map((line) => line.sku);
  if (unknown.length > 0) throw unknownSkus(unknown);

  const lines: OrderLine[] = input.lines.map((line, index) => ({
    sku: line.sku,
    quantity: line.quantity,
    unitPrice: (products[index] as Extract<InventoryState, { status: 'registered' }>).price,
  }));
  const command = {
    type: 'PlaceOrder' as const,
    data: { orderId, customerId: input.customerId, lines, paymentToken: input.paymentToken, placedAt: deps.clock().toISOString() },
  };
  // Nobody else knows the new order's id: it is decided on the initial state without a read, and
  // a stream that exists after all is a conflict, not a reason to decide again.
  const written = await deps.orders.handle(stream, command, {
    metadata,
    expected: 'new',
    retry: 'never',
    ...(execution ? { idempotencyKey: execution.eventIdKey } : {}),
  });
  return { status: 202, body: { orderId, ...writtenJson(written) } };
}
