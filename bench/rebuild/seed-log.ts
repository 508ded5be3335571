/**
 * Writes a long log straight into an emulator data directory: the same EventLog the emulator runs
 * (commit rules, positions, revisions), over the same file format, but with one write and fsync
 * per 20,000 records instead of one per append. The emulator process then starts on that
 * directory and serves the log to the real client as if every event had been appended through it.
 */
import { join } from 'node:path';
import { EventLog } from '../../eventstore-emulator/log/event-log';
import type { LogRecord } from '../../eventstore-emulator/log/records';
import { seedSystemRecords } from '../../eventstore-emulator/log/seed';
import { LOG_FILE_NAME } from '../../eventstore-emulator/storage/file-storage';
import { openLogFile } from '../../eventstore-emulator/storage/log-file';
import { stampCopy, type TemplateEvent } from './event-mix';

const FLUSH_RECORDS = 20_000;

/** Appends copies of `template` until at least `events` events are written; answers how many. */
export function seedLogDirectory(directory: string, template: readonly TemplateEvent[], events: number): number {
  const file = openLogFile(join(directory, LOG_FILE_NAME), (line) => process.stderr.write(`${line}\n`));
  let pending: LogRecord[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    file.append(pending);
    pending = [];
  };
  try {
    const log = new EventLog({
      storage: {
        write(records) {
          for (const record of records) pending.push(record);
          if (pending.length >= FLUSH_RECORDS) flush();
        },
      },
    });
    seedSystemRecords(log, { firstStart: true });
    let written = 0;
    for (let k = 0; written < events; k++) {
      // One append per run of consecutive events of one stream, as the services append them.
      const copy = stampCopy(template, k);
      for (let start = 0; start < copy.length;) {
        let end = start + 1;
        while (end < copy.length && copy[end]!.streamName === copy[start]!.streamName) end++;
        const outcome = log.append(
          copy[start]!.streamName,
          'any',
          copy.slice(start, end).map(({ event }) => event),
        );
        if (outcome.kind !== 'success') throw new Error(`seeding ${copy[start]!.streamName} failed: ${outcome.kind}`);
        start = end;
      }
      written += copy.length;
    }
    flush();
    return written;
  } finally {
    file.close();
  }
}
