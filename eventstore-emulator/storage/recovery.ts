import type { LogRecord } from '../log/records';
import { decodeFrame, FRAME_HEADER_BYTES, FRAME_MAGIC_BYTES, readHeader, type FrameCheck } from './frame';
import type { FileWindow } from './file-window';

/**
 * Reads every frame back and decides what a damaged end means. Only the last append can be
 * torn (each append is fsync'd before the next starts), so:
 *
 * - damage, or an unfinished batch, with nothing after it but pieces of that same batch → a
 *   torn tail: the batch was never acknowledged, cut it off;
 * - damage followed by an intact frame of another batch → the middle of the log is corrupt:
 *   refuse to start, because cutting there would silently drop acknowledged appends.
 */

export type Recovery =
  | { kind: 'clean'; records: LogRecord[]; end: number }
  | { kind: 'torn-tail'; records: LogRecord[]; end: number; damageOffset: number; reason: string };

export class LogCorruptedError extends Error {
  override readonly name = 'LogCorruptedError';
}

export function recoverFrames(window: FileWindow, start: number, path: string): Recovery {
  const records: LogRecord[] = [];
  let batch: LogRecord[] = [];
  let batchSize = 0;
  let offset = start;
  let committedEnd = start;
  let damage: { offset: number; reason: string } | undefined;

  while (offset < window.fileSize) {
    const read = readFrameAt(window, offset);
    if (!read.ok) {
      damage = { offset, reason: read.reason };
      break;
    }
    const { record, batchIndex } = read.frame;
    const expectedIndex = records.length + batch.length;
    if (record.index !== expectedIndex || batchIndex !== batch.length || (batchIndex > 0 && read.frame.batchSize !== batchSize)) {
      damage = { offset, reason: `record ${record.index} (batch position ${batchIndex}) where record ${expectedIndex} was due` };
      break;
    }
    batch.push(record);
    batchSize = read.frame.batchSize;
    offset += read.frame.length;
    if (batchIndex === batchSize - 1) {
      for (const each of batch) records.push(each);
      batch = [];
      committedEnd = offset;
    }
  }

  if (!damage && batch.length === 0) return { kind: 'clean', records, end: committedEnd };
  const damageOffset = damage?.offset ?? window.fileSize;
  const reason = damage?.reason ?? `the last append stops after ${batch.length} of its ${batchSize} records`;
  const later = findFrameOfAnotherBatch(window, damageOffset, records.length);
  if (later) {
    throw new LogCorruptedError(
      `${path} is corrupt at byte ${damageOffset} (${reason}), yet an intact record ${later.index} follows at byte ${later.offset}: ` +
        `the damage is in the middle of the log, not a torn last append. The file was left untouched; ` +
        `restore it from a backup, or move it aside to start with an empty log.`,
    );
  }
  return { kind: 'torn-tail', records, end: committedEnd, damageOffset, reason };
}

function readFrameAt(window: FileWindow, offset: number): FrameCheck {
  const header = readHeader(window.bytes(offset, Math.min(FRAME_HEADER_BYTES, window.fileSize - offset)));
  if (!header.ok) return header;
  const length = FRAME_HEADER_BYTES + header.payloadLength;
  if (offset + length > window.fileSize)
    return { ok: false, reason: `file ends inside a frame (${length} bytes due, ${window.fileSize - offset} left)` };
  return decodeFrame(window.bytes(offset, length));
}

const SCAN_BYTES = 1024 * 1024;

/** The first intact frame at or after `from` that does not belong to the batch starting at record `batchStart`. */
function findFrameOfAnotherBatch(window: FileWindow, from: number, batchStart: number): { offset: number; index: number } | undefined {
  let position = from;
  while (position + FRAME_HEADER_BYTES <= window.fileSize) {
    const span = Math.min(SCAN_BYTES, window.fileSize - position);
    const hit = window.bytes(position, span).indexOf(FRAME_MAGIC_BYTES);
    if (hit < 0) {
      if (span < SCAN_BYTES) return undefined;
      position += span - (FRAME_MAGIC_BYTES.length - 1); // a marker may straddle the two spans
      continue;
    }
    const candidate = position + hit;
    const read = readFrameAt(window, candidate);
    if (read.ok && read.frame.record.index - read.frame.batchIndex !== batchStart)
      return { offset: candidate, index: read.frame.record.index };
    position = candidate + 1;
  }
  return undefined;
}
