import { closeSync, constants, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogRecord } from '../log/records';
import { encodeBatch } from './frame';
import { FileWindow } from './file-window';
import { LogCorruptedError, recoverFrames } from './recovery';

/** Identifies the file and its format version; a later format gets a new tag, never a silent misread. */
const FILE_HEADER = Buffer.from('ESEMLOG1', 'latin1');

export interface LogFile {
  /** Every record on disk, in log order, after any torn last append was cut off. */
  readonly records: readonly LogRecord[];
  /** Appends one batch (one log write) and returns only once it is on disk. */
  append(records: readonly LogRecord[]): void;
  close(): void;
}

export function openLogFile(path: string, warn: (line: string) => void): LogFile {
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    let size = fstatSync(fd).size;
    if (size < FILE_HEADER.length) {
      // New, or a crash during creation left a prefix of the header: nothing was ever appended.
      const existing = new FileWindow(fd, size).bytes(0, size);
      if (!FILE_HEADER.subarray(0, size).equals(existing)) throw notALog(path);
      writeFully(fd, FILE_HEADER, 0);
      fsyncSync(fd);
      syncDirectory(path);
      size = FILE_HEADER.length;
    }
    const window = new FileWindow(fd, size);
    if (!window.bytes(0, FILE_HEADER.length).equals(FILE_HEADER)) throw notALog(path);
    const recovery = recoverFrames(window, FILE_HEADER.length, path);
    if (recovery.kind === 'torn-tail') {
      warn(
        `eventstore-emulator: ${path}: cut a torn last append at byte ${recovery.end} ` +
          `(${size - recovery.end} bytes dropped: ${recovery.reason}); the log keeps its ${recovery.records.length} records.`,
      );
      ftruncateSync(fd, recovery.end);
      fsyncSync(fd);
    }
    return new AppendOnlyLogFile(fd, recovery.end, recovery.records);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

class AppendOnlyLogFile implements LogFile {
  private size: number;
  private nextIndex: number;
  /** Set when the file's state is unknown after a failure; no further write is trusted. */
  private broken: Error | undefined;
  private closed = false;

  constructor(
    private readonly fd: number,
    size: number,
    readonly records: LogRecord[],
  ) {
    this.size = size;
    this.nextIndex = records.length;
  }

  append(records: readonly LogRecord[]): void {
    if (records.length === 0) return;
    if (this.closed) throw new Error('event log file is closed');
    if (this.broken) throw new Error(`event log file unusable after an earlier failed write: ${this.broken.message}`);
    if (records[0]!.index !== this.nextIndex)
      throw new Error(`append of record ${records[0]!.index} where record ${this.nextIndex} was due`);
    const bytes = encodeBatch(records);
    try {
      writeFully(this.fd, bytes, this.size);
    } catch (error) {
      // E.g. ENOSPC: take the partial batch back off, or the next start would see it as mid-file damage.
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        this.broken = error as Error;
      }
      throw error;
    }
    try {
      // fdatasync also flushes the file length, which is the only metadata an append changes.
      fdatasyncSync(this.fd);
    } catch (error) {
      // After a failed fsync the kernel may have dropped the dirty pages: what is on disk is unknown.
      this.broken = error as Error;
      throw error;
    }
    this.size += bytes.length;
    this.nextIndex += records.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

function writeFully(fd: number, bytes: Buffer, position: number): void {
  for (let written = 0; written < bytes.length;) {
    written += writeSync(fd, bytes, written, bytes.length - written, position + written);
  }
}

/** Makes a newly created file's directory entry durable (Linux needs the directory fsync'd). */
function syncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dirname(path), 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the file itself is still synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function notALog(path: string): LogCorruptedError {
  return new LogCorruptedError(`${path} is not an event-store emulator log (unknown header); refusing to touch it.`);
}
