/**
 * What is stuck, in one sentence per problem, for the top of the operations page: a projection
 * that is not live (failed, stopped, retrying) or lags, and parked saga events.
 */
export interface ProjectionHealth {
  name: string;
  state: string;
  lagEvents: number | null;
  lagSeconds: number | null;
  failure: string | null;
}

/** A projection this far behind is worth a look even when it says "live". */
export const LAG_WARNING_EVENTS = 1000;
export const LAG_WARNING_SECONDS = 30;

const healthyStates = new Set(['live', 'catching_up', 'starting', 'waiting_for_lock']);

export function projectionTrouble(projection: ProjectionHealth): string | null {
  if (projection.failure || !healthyStates.has(projection.state)) {
    return `Projection ${projection.name} is ${projection.state.replace(/_/g, ' ')}${projection.failure ? `: ${projection.failure}` : ''}`;
  }
  if ((projection.lagEvents ?? 0) >= LAG_WARNING_EVENTS || (projection.lagSeconds ?? 0) >= LAG_WARNING_SECONDS) {
    return `Projection ${projection.name} is behind by ${projection.lagEvents ?? '?'} events (${Math.round(projection.lagSeconds ?? 0)} s)`;
  }
  return null;
}

export function stuckSummary(projections: readonly ProjectionHealth[], parkedCount: number | null): string[] {
  const troubles = projections.map(projectionTrouble).filter((trouble): trouble is string => trouble !== null);
  if (parkedCount) troubles.push(`${parkedCount} saga event${parkedCount === 1 ? ' is' : 's are'} parked`);
  return troubles;
}
