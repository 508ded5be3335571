import { inventoryStream, type Money } from '../../../domain';
import type { CausationMetadata } from '../../../platform/eventstore';
import { runCommand, writtenJson, type CommandDeps } from '../../shared/command';
import type { CommandAnswer, Execution } from '../../shared/idempotency';

export interface RegisterProductInput {
  sku: string;
  name: string;
  price: Money;
}

/** A new SKU: `ProductRegistered` on a stream of its own. Registering it again is refused (422). */
export async function registerProduct(
  deps: CommandDeps,
  input: RegisterProductInput,
  metadata: CausationMetadata,
  execution: Execution | undefined,
): Promise<CommandAnswer> {
  // Deciding again on a stream someone just created answers already_registered: safe.
  const written = await runCommand(
    deps.inventory,
    inventoryStream(input.sku),
    { type: 'RegisterProduct', data: input },
    { metadata, execution },
  );
  return { status: 201, body: { sku: input.sku, ...writtenJson(written) } };
}
