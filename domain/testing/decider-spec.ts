/**
 * Given/when/then for deciders, one line per case:
 *
 *   spec(inventoryDecider).given([registered]).when(receive(5)).then([received(5)]);
 *   spec(inventoryDecider).given([]).when(receive(5)).thenThrows('not_registered');
 *
 * Test-only: it asserts with uvu.
 */
import * as assert from 'uvu/assert';
import type { Decider } from '../shared/decider';
import { isDomainError, type DomainErrorCode } from '../shared/errors';
import type { DomainEvent } from '../shared/events';

export function spec<Command, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>) {
  return {
    given(history: Event[]) {
      return {
        when(command: Command) {
          const run = () => decider.decide(command, history.reduce(decider.evolve, decider.initialState()));
          return {
            then(expected: Event[]): void {
              assert.equal(run(), expected);
            },
            thenNothing(): void {
              assert.equal(run(), [], 'expected the command to be a no-op');
            },
            thenThrows(code: DomainErrorCode): void {
              let events: readonly Event[];
              try {
                events = run();
              } catch (error) {
                if (!isDomainError(error)) throw error;
                assert.is(error.code, code, `expected DomainError '${code}', got '${error.code}': ${error.message}`);
                return;
              }
              assert.unreachable(`expected DomainError '${code}', got events ${JSON.stringify(events)}`);
            },
          };
        },
      };
    },
  };
}
