/**
 * One transaction per batch for a whole group: the members' checkpoints move and their rows are
 * written together, or nothing is. When it fails, the error says who must stop
 * (`MembersStoppedError`) or is transient (thrown as it is: the group starts over).
 */
import type { Knex } from 'knex';
import { isTransientPostgresError } from '../../platform/postgres';
import type { Batch } from './batcher';
import { movingShares, shareOut, type Share } from './batch-shares';
import { CheckpointMovedError, advanceCheckpoints } from './checkpoint-store';
import type { GroupMember } from './group-member';
import { CannotApplyEventError, InconsistentEventError, ProjectionStoppedError, type Position } from './types';

/** Members of a group stopped for good (each for its reason); the others go on. */
export class MembersStoppedError extends Error {
  constructor(readonly stopped: readonly { member: GroupMember; reason: ProjectionStoppedError }[]) {
    super(stopped.map(({ reason }) => reason.message).join('; '));
  }
}

export async function commitBatch(knex: Knex, members: readonly GroupMember[], batch: Batch): Promise<void> {
  const startedAt = performance.now();
  const shares = shareOut(members, batch);
  const moving = movingShares(shares);
  if (moving.length > 0) {
    let applying: GroupMember | undefined;
    try {
      await knex.transaction(async (trx) => {
        // The checkpoints move first, before any row is written: that takes the row locks the
        // replay CLI's swap holds while it replaces the tables, and it fails with nothing
        // written when the swap (or another writer) moved a checkpoint (docs/REPLAY.md).
        await advanceCheckpoints(
          trx,
          moving.map(({ member, to, lastEventAt, events }) => ({
            projection: member.projection.name,
            from: member.position,
            to,
            lastEventAt,
            eventsApplied: events.length,
          })),
        );
        for (const share of moving) {
          if (share.events.length === 0) continue;
          applying = share.member;
          await share.member.projection.apply(trx, share.events);
        }
        applying = undefined;
      });
    } catch (error) {
      throw blame(error, applying, moving);
    }
    for (const { member, to, lastEventAt, events } of moving) member.applied({ to, lastEventAt, events: events.length, startedAt });
  }
  const stopped = shares.filter((share) => share.problem);
  if (stopped.length > 0) throw new MembersStoppedError(stopped.map(({ member, problem }) => ({ member, reason: problem! })));
}

/** What a failed batch transaction means: transient (as it is), or which members stop. */
function blame(error: unknown, applying: GroupMember | undefined, moving: readonly (Share & { to: Position })[]): unknown {
  if (error instanceof CheckpointMovedError || isTransientPostgresError(error)) return error;
  if (applying && error instanceof InconsistentEventError) {
    const { event } = error;
    const reason = new CannotApplyEventError(
      applying.projection.name,
      { ...event, type: event.event.type, schemaVersion: undefined },
      error.message,
      { cause: error },
    );
    return new MembersStoppedError([{ member: applying, reason }]);
  }
  // Anything else stops the projection that was applying; outside any apply (the checkpoint
  // statement, the commit), no one projection can be blamed, so every one in the batch stops.
  const blamed = applying ? moving.filter((share) => share.member === applying) : moving;
  return new MembersStoppedError(
    blamed.map(({ member, events, to }) => {
      const range = `${events.length} events from ${events[0]?.streamName ?? '-'} (position ${events[0]?.position.commit ?? '-'}) to position ${to.commit}`;
      const reason = new ProjectionStoppedError(
        `projection ${member.projection.name} failed to apply ${range}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
      return { member, reason };
    }),
  );
}
