/** The live projections' checkpoint rows, and a wait for them to reach the shadow's. */
import type { Knex } from 'knex';
import { CHECKPOINTS_TABLE } from '../framework/checkpoint-store';
import type { Position } from '../framework/types';

export interface CheckpointRow {
  projection: string;
  commit_position: string | null;
  prepare_position: string | null;
  last_event_at: Date | null;
  events_applied: number;
  failure: string | null;
}

export function positionOfRow(row: Pick<CheckpointRow, 'commit_position' | 'prepare_position'> | undefined): Position | undefined {
  if (!row || row.commit_position === null || row.prepare_position === null) return undefined;
  return { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) };
}

export async function checkpointRows(knex: Knex | Knex.Transaction, names: readonly string[]): Promise<Map<string, CheckpointRow>> {
  const rows = (await knex(CHECKPOINTS_TABLE).whereIn('projection', [...names])) as CheckpointRow[];
  return new Map(rows.map((row) => [row.projection, row]));
}

/** a is before b (nothing applied is before everything). */
export function isBefore(a: Position | undefined, b: Position | undefined): boolean {
  if (b === undefined) return false;
  return a === undefined || a.commit < b.commit;
}

/**
 * Waits (up to `timeoutMs`) until every live checkpoint is at or past the shadow's, so the swap
 * can bring the shadow forward to exactly the live position. Answers the ones still behind: their
 * live writer is stopped, failed or far behind.
 */
export async function waitForLiveToReach(knex: Knex, shadow: ReadonlyMap<string, Position | undefined>, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await checkpointRows(knex, [...shadow.keys()]);
    const behind = [...shadow].filter(([name, position]) => isBefore(positionOfRow(live.get(name)), position)).map(([name]) => name);
    if (behind.length === 0 || Date.now() >= deadline) return behind;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
