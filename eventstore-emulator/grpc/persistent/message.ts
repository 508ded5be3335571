import type { SourceEvent } from './source';

/**
 * One message of a group, in whichever queue it sits (read buffer, retry queue, in flight).
 * Each move makes a new value, so a message never changes under a queue that holds it.
 */
export interface GroupMessage extends SourceEvent {
  /** The original record's id: what the client acks (link id if there is a link). */
  readonly id: string;
  /** Deliveries before this one. */
  readonly retryCount: number;
  /**
   * Order among the records the group has read (filtered-out ones count too); checkpoints are
   * made from it. Undefined for a replayed parked message: replays never move the checkpoint.
   */
  readonly sequence: number | undefined;
  /** Position of the record read just before this one: the checkpoint while this one is pending. */
  readonly previousPosition: bigint | undefined;
}

export function newMessage(event: SourceEvent, sequence: number, previousPosition: bigint | undefined): GroupMessage {
  return { ...event, id: event.original.id, retryCount: 0, sequence, previousPosition };
}

/** A parked message coming back: the parked `$>` record is its link, so acks carry the link id. */
export function replayedMessage(event: SourceEvent): GroupMessage {
  return { ...event, id: event.original.id, retryCount: 0, sequence: undefined, previousPosition: undefined };
}

export function retried(message: GroupMessage): GroupMessage {
  return { ...message, retryCount: message.retryCount + 1 };
}

export function isReplayed(message: GroupMessage): boolean {
  return message.sequence === undefined;
}
