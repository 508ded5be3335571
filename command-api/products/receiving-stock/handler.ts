import { inventoryStream } from '../../../domain';
import type { CausationMetadata } from '../../../platform/eventstore';
import { runCommand, writtenJson, type CommandDeps } from '../../shared/command';
import type { CommandAnswer, Execution } from '../../shared/idempotency';

/** `StockReceived`: units arrived at the warehouse. On hand grows by exactly `quantity`. */
export async function receiveStock(
  deps: CommandDeps,
  input: { sku: string; quantity: number },
  metadata: CausationMetadata,
  execution: Execution | undefined,
): Promise<CommandAnswer> {
  // Receiving adds to whatever is there: a decision that holds on any later state, decided again
  // on conflict. Inventory streams are the hot ones (every order reserves on them), so conflicts
  // are expected here.
  const written = await runCommand(
    deps.inventory,
    inventoryStream(input.sku),
    { type: 'ReceiveStock', data: input },
    { metadata, execution },
  );
  return { status: 200, body: { sku: input.sku, ...writtenJson(written) } };
}
