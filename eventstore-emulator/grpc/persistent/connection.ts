import { randomUUID } from 'node:crypto';
import type { GroupMessage } from './message';
import { RequestStatistics } from './request-statistics';

/** Where a connection's messages go: the bidi Read call, seen from the group. */
export interface ConnectionSink {
  deliver(message: GroupMessage): void;
  /** The group went away (update, delete, restart): end the call with `persistent-subscription-dropped`. */
  drop(): void;
}

export interface ConnectionIdentity {
  /** The `connection-name` header. */
  readonly connectionName: string;
  readonly username: string;
  readonly from: string;
}

/**
 * One subscriber of a group. It holds at most `maxInFlight` unacknowledged messages (the
 * client's `bufferSize`): the group only pushes into free slots.
 */
export class GroupConnection {
  readonly id = randomUUID();
  readonly inFlight = new Map<string, GroupMessage>();
  totalItems = 0;
  /** `totalItems` when info was last asked for: the "since last measurement" counters. */
  itemsAtLastMeasurement = 0;
  private readonly statistics: RequestStatistics | undefined;

  constructor(
    readonly identity: ConnectionIdentity,
    readonly maxInFlight: number,
    private readonly sink: ConnectionSink,
    options: { extraStatistics: boolean; now: () => number },
  ) {
    this.statistics = options.extraStatistics ? new RequestStatistics(options.now) : undefined;
  }

  get availableSlots(): number {
    return this.maxInFlight - this.inFlight.size;
  }

  /** False when every slot is taken. */
  push(message: GroupMessage): boolean {
    if (this.availableSlots <= 0) return false;
    this.inFlight.set(message.id, message);
    this.totalItems++;
    this.statistics?.start(message.id);
    this.sink.deliver(message);
    return true;
  }

  /** Acked, nacked, timed out or retried elsewhere: the slot is free again. */
  release(id: string): GroupMessage | undefined {
    this.statistics?.end(id);
    const message = this.inFlight.get(id);
    this.inFlight.delete(id);
    return message;
  }

  drop(): void {
    this.sink.drop();
  }

  measurements() {
    return this.statistics?.measurements() ?? [];
  }
}
