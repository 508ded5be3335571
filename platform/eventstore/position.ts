/**
 * Log positions as JSON. The client's positions are bigints, which JSON cannot carry; an HTTP
 * answer ("your write is at position ...") and the query API's "wait until this position"
 * parameter use decimal strings instead.
 */
import type { Position } from './types';

export interface PositionJson {
  commit: string;
  prepare: string;
}

export function positionToJson(position: Position): PositionJson {
  return { commit: position.commit.toString(), prepare: position.prepare.toString() };
}

export function positionFromJson(json: PositionJson): Position {
  if (!/^\d+$/.test(json.commit) || !/^\d+$/.test(json.prepare)) throw new Error(`not a log position: ${JSON.stringify(json)}`);
  return { commit: BigInt(json.commit), prepare: BigInt(json.prepare) };
}

/** Whether the log has passed `target` once it reached `reached` (commit order decides). */
export function isAtOrAfter(reached: Position, target: Position): boolean {
  return reached.commit > target.commit || (reached.commit === target.commit && reached.prepare >= target.prepare);
}
