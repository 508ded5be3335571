import { orderStream } from '../../../domain';
import type { CausationMetadata } from '../../../platform/eventstore';
import { runCommand, writtenJson, type CommandDeps } from '../../shared/command';
import type { CommandAnswer, Execution } from '../../shared/idempotency';

/**
 * The customer asks to cancel (`OrderCancellationRequested`); the checkout saga, which may hold
 * stock and money for the order, does the cancelling. Asking twice is a no-op (null position);
 * a confirmed or cancelled order is final (422 `order-already-final`).
 */
export async function requestOrderCancellation(
  deps: CommandDeps,
  input: { orderId: string; customerId: string },
  metadata: CausationMetadata,
  execution: Execution | undefined,
): Promise<CommandAnswer> {
  const { orderId, customerId } = input;
  // The saga writes to the same stream; deciding again on its latest event is exactly right (a
  // confirmation that won the race makes the request order_already_final).
  const written = await runCommand(
    deps.orders,
    orderStream(orderId),
    { type: 'RequestOrderCancellation', data: { orderId, requestedBy: customerId, requestedAt: deps.clock().toISOString() } },
    { metadata, execution },
  );
  return { status: 202, body: { orderId, ...writtenJson(written) } };
}
