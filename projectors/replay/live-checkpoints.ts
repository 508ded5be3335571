/** The live projections' checkpoint rows, and a wait for them to reach the shadow's. */
import type { Knex } from 'knex';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHECKPOINTS_TABLE, positionOfRow, type CheckpointRow } from '../framework/checkpoint-store';
import type { Position } from '../framework/types';

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
export async function waitForLiveToReach(
  knex: Knex,
  shadow: ReadonlyMap<string, Position | undefined>,
  timeoutMs: number,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await checkpointRows(knex, [...shadow.keys()]);
    const behind = [...shadow].filter(([name, position]) => isBefore(positionOfRow(live.get(name)), position)).map(([name]) => name);
    if (behind.length === 0 || Date.now() >= deadline) return behind;
    await sleep(50);
  }
}
