import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LogStorage } from '../log/event-log';
import type { LogRecord } from '../log/records';
import { lockDirectory } from './directory-lock';
import { openLogFile } from './log-file';

export { DirectoryLockedError } from './directory-lock';
export { LogCorruptedError } from './recovery';

export const LOG_FILE_NAME = 'events.log';

export interface OpenedStorage {
  /** Records read back from disk, in log order (a torn tail already cut off). */
  readonly records: readonly LogRecord[];
  /** True when the directory held no log yet. */
  readonly firstStart: boolean;
  readonly storage: LogStorage;
  close(): void;
}

export interface FileStorageOptions {
  /** Receives the one line logged when a torn last append is cut off. Default console.warn. */
  warn?: (line: string) => void;
}

/**
 * Append-only log file in `directory`, fsync'd on every append, locked against a second emulator.
 * Throws LogCorruptedError when the file is damaged before its last append, DirectoryLockedError
 * when another live emulator holds the directory.
 */
export function openFileStorage(directory: string, options: FileStorageOptions = {}): OpenedStorage {
  mkdirSync(directory, { recursive: true });
  const lock = lockDirectory(directory);
  try {
    const file = openLogFile(join(directory, LOG_FILE_NAME), options.warn ?? console.warn);
    let closed = false;
    return {
      records: file.records,
      firstStart: file.records.length === 0,
      storage: { write: (records) => file.append(records) },
      close() {
        if (closed) return;
        closed = true;
        try {
          file.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
