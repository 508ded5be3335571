import { z } from 'zod';
import { DomainError } from './errors';
import type { DomainEvent } from './events';

/**
 * An aggregate's behaviour as three pure functions. `decide` answers a command with the events
 * it causes (an empty list when the command has already had its effect) or throws a DomainError;
 * `evolve` applies one event to the state. The current state of a stream is its events folded
 * with `evolve`, starting from `initialState()`.
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  initialState(): State;
  decide(command: Command, state: State): readonly Event[];
  evolve(state: State, event: Event): State;
}

/** The state after these events: what the command API does after reading a stream. */
export function stateFrom<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  events: Iterable<Event>,
): State {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
}

/**
 * Checks a command against its schema before any rule runs. Deciders call it themselves so the
 * rules hold even for commands built in code (the saga) rather than parsed from a request.
 */
export function validated<S extends z.ZodType>(schema: S, command: unknown): z.output<S> {
  const result = schema.safeParse(command);
  if (!result.success) throw new DomainError('validation', z.prettifyError(result.error));
  return result.data;
}
