/**
 * The checkout streams as this saga process knows them: each checkout's state, kept in memory
 * with the revision it reflects (the platform command handler's cache, which catches up only what
 * is newer), and the revision of its last driving event, the one whose delivery drives the
 * checkout now (delivered-events.ts). Every write expects the revision its decision was made on,
 * so two processes never both record a move.
 *
 * The event ids derive from the causing event and from what was decided, so a repeat of the same
 * decision is accepted as already written, while a different decision on the same revision (two
 * processes racing on one redelivered message) conflicts instead of passing for a repeat and
 * leaving this process with a state the stream does not have.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import {
  checkoutCodec,
  checkoutDecider,
  checkoutStream,
  type CheckoutCommand,
  type CheckoutEvent,
  type CheckoutState,
} from '../domain/checkout';
import {
  commandHandler,
  VersionConflictError,
  type CausationMetadata,
  type CommandHandler,
  type CommandOutcome,
  type FoldedStream,
  type StreamDecider,
} from '../platform/eventstore';
import type { Logger } from '../platform/logger';
import { isDriving } from './delivered-events';

export interface KnownCheckout {
  readonly checkout: CheckoutState;
  /** The revision of the stream's last driving event: its delivery is the one that drives now. */
  readonly driver: bigint | undefined;
}

export type LoadedCheckout = FoldedStream<KnownCheckout>;

export interface Recorded {
  readonly loaded: LoadedCheckout;
  readonly events: readonly CheckoutEvent[];
  /** The id of the last event written: the cause of the next move. */
  readonly lastEventId: string;
}

/** What a write on a checkout is caused by: the metadata its events carry, and `cause`, naming the cause for their ids. */
export interface WriteCause {
  readonly metadata: CausationMetadata;
  readonly cause: string;
}

const checkoutWithDriver: StreamDecider<CheckoutCommand, CheckoutEvent, KnownCheckout> = {
  initialState: () => ({ checkout: checkoutDecider.initialState(), driver: undefined }),
  decide: (command, { checkout }) => checkoutDecider.decide(command, checkout),
  evolve: ({ checkout, driver }, event, revision) => ({
    checkout: checkoutDecider.evolve(checkout, event),
    driver: isDriving(event) ? revision : driver,
  }),
};

const idempotencyKey = (cause: string) => (events: readonly CheckoutEvent[]) => `${cause}/${events.map((event) => event.type).join(',')}`;

function recordedOf({ events, eventIds, state, revision }: CommandOutcome<CheckoutEvent, KnownCheckout>): Recorded | undefined {
  const lastEventId = eventIds.at(-1);
  return lastEventId === undefined ? undefined : { loaded: { state, revision }, events, lastEventId };
}

export class CheckoutStreams {
  private readonly handler: CommandHandler<CheckoutCommand, CheckoutEvent, KnownCheckout>;

  constructor(client: EventStoreDBClient, logger: Logger) {
    this.handler = commandHandler({
      client,
      decider: checkoutWithDriver,
      codec: checkoutCodec,
      cache: { maxStreams: 20_000 },
      retry: 'prompt',
      logger,
    });
  }

  /** The checkout as the stream has it now. */
  load(orderId: string): Promise<LoadedCheckout> {
    return this.handler.load(checkoutStream(orderId));
  }

  /** What this process knows of the checkout, read again only when that is older than `revision`. */
  async atLeast(orderId: string, revision: bigint): Promise<LoadedCheckout> {
    const known = this.handler.cached(checkoutStream(orderId));
    return known && known.revision !== 'no_stream' && known.revision >= revision ? known : this.load(orderId);
  }

  /**
   * Decides `command` on the checkout and records what it decides, deciding again on a conflict;
   * undefined when there was nothing to record.
   */
  async decide(
    orderId: string,
    command: CheckoutCommand,
    { metadata, cause }: WriteCause,
    expected: 'new' | 'any',
  ): Promise<Recorded | undefined> {
    return recordedOf(
      await this.handler.handle(checkoutStream(orderId), command, { metadata, expected, idempotencyKey: idempotencyKey(cause) }),
    );
  }

  /**
   * Records the outcome of a move made on the checkout at `revision`, expecting it. Undefined when
   * there was nothing to record, or when someone else's append got in first (its driving event
   * drives on).
   */
  async record(
    orderId: string,
    revision: bigint,
    command: CheckoutCommand,
    { metadata, cause }: WriteCause,
  ): Promise<Recorded | undefined> {
    try {
      return recordedOf(
        await this.handler.handle(checkoutStream(orderId), command, {
          metadata,
          expected: revision,
          idempotencyKey: idempotencyKey(cause),
        }),
      );
    } catch (error) {
      if (error instanceof VersionConflictError) return undefined;
      throw error;
    }
  }
}
