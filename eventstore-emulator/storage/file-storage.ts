import type { LogStorage } from '../log/event-log';
import type { LogRecord } from '../log/records';

export interface OpenedStorage {
  /** Records read back from disk, in log order (a torn tail already cut off). */
  readonly records: readonly LogRecord[];
  /** True when the directory held no log yet. */
  readonly firstStart: boolean;
  readonly storage: LogStorage;
  close(): void;
}

/** Append-only log file in `directory`, fsync'd on every append. */
export function openFileStorage(directory: string): OpenedStorage {
  throw new Error(`file storage not built yet (${directory})`);
}
