/**
 * A group reads each batch once and shares it out: every member takes the events of its streams
 * that it has not applied yet, each read (upcast, validated) for its projection, up to the first
 * event it cannot read.
 */
import { isAtOrAfter } from '../../platform/eventstore/position';
import type { Batch } from './batcher';
import { follows, type GroupMember } from './group-member';
import { readFor } from './read-event';
import { CannotApplyEventError, type Position, type ProjectedEvent } from './types';

/** A member's part of one batch. */
export interface Share {
  readonly member: GroupMember;
  readonly events: ProjectedEvent[];
  /** Where its checkpoint moves; undefined: it stays. */
  to: Position | undefined;
  lastEventAt: Date | undefined;
  /** The event it cannot read: the member stops right before it. */
  problem: CannotApplyEventError | undefined;
}

export function shareOut(members: readonly GroupMember[], batch: Batch): Share[] {
  const shares: Share[] = members.map((member) => ({ member, events: [], to: batch.position, lastEventAt: undefined, problem: undefined }));
  for (const [index, raw] of batch.events.entries()) {
    for (const share of shares) {
      const { member } = share;
      if (share.problem || !follows(member, raw.streamName)) continue;
      if (member.position && isAtOrAfter(member.position, raw.position)) continue; // applied before the group started over
      const read = readFor(member.projection, raw);
      if (read instanceof CannotApplyEventError) {
        // Apply what came before the bad event, so the checkpoint points right at it.
        share.problem = read;
        share.to = batch.events[index - 1]?.position;
        continue;
      }
      if (read) share.events.push(read);
      share.lastEventAt = raw.recordedAt;
    }
  }
  return shares;
}

/**
 * Checkpoints only move forward: a member already past this batch (the group started over from
 * one further behind) stays where it is.
 */
export function movingShares(shares: readonly Share[]): (Share & { to: Position })[] {
  return shares.filter(
    (share): share is Share & { to: Position } =>
      share.to !== undefined && (!share.member.position || !isAtOrAfter(share.member.position, share.to)),
  );
}
