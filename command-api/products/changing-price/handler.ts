import { inventoryStream, type Money } from '../../../domain';
import type { CausationMetadata } from '../../../platform/eventstore';
import { runCommand, writtenJson, type CommandDeps } from '../../shared/command';
import type { CommandAnswer, Execution } from '../../shared/idempotency';

/**
 * `ProductPriceChanged`, or nothing when the price is already that (answered 200 with a null
 * position). A price in another currency is refused (422 `currency-mismatch`).
 */
export async function changeProductPrice(
  deps: CommandDeps,
  input: { sku: string; price: Money },
  metadata: CausationMetadata,
  execution: Execution | undefined,
): Promise<CommandAnswer> {
  // The new price does not depend on what else happened to the stream: decided again on conflict.
  const written = await runCommand(
    deps.inventory,
    inventoryStream(input.sku),
    { type: 'ChangeProductPrice', data: input },
    { metadata, execution },
  );
  return { status: 200, body: { sku: input.sku, ...writtenJson(written) } };
}
