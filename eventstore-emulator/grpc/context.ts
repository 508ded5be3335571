import type { EventLog } from '../log/event-log';

/** What every RPC handler of one emulator instance shares. */
export interface EmulatorContext {
  readonly log: EventLog;
  readonly serverVersion: string;
  /** Period of the persistent-subscription timer (message timeouts, time-based checkpoints). */
  readonly persistentTickMs: number;
  /** Run on stop: timers, open subscriptions. */
  readonly onStop: Set<() => void>;
}
