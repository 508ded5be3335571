import { crc32 } from 'node:zlib';
import type { LogRecord } from '../log/records';
import { decodeRecord, encodedRecordSize, encodeRecordInto } from './record-codec';

/**
 * One record on disk: a 20-byte header, then the encoded record (record-codec.ts).
 *
 *   u32 magic           FRAME_MAGIC; lets recovery find frame starts when it scans past damage
 *   u32 payload length
 *   u32 position in its batch (0-based)
 *   u32 batch size      records written by the same `write` call, i.e. the same append
 *   u32 CRC32           of the three fields above and the payload
 *
 * The batch fields make an append all-or-nothing on disk: recovery keeps a batch only when its
 * last record is intact, and can tell a surviving piece of a torn last batch from a later batch.
 */

export const FRAME_HEADER_BYTES = 20;
export const FRAME_MAGIC = 0x464d5345; // "ESMF" little-endian
export const FRAME_MAGIC_BYTES = Buffer.from([0x45, 0x53, 0x4d, 0x46]);
/**
 * No single record comes near this (gRPC caps a message at 17 MiB); a larger length is garbage,
 * and refusing it keeps recovery from reading a huge span because of one bad header.
 */
const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

export interface Frame {
  readonly record: LogRecord;
  readonly batchIndex: number;
  readonly batchSize: number;
  /** Header + payload bytes. */
  readonly length: number;
}

/** The frames of one append, as one buffer so it goes to disk in one write. */
export function encodeBatch(records: readonly LogRecord[]): Buffer {
  const sizes = records.map(encodedRecordSize);
  const buffer = Buffer.allocUnsafe(sizes.reduce((sum, size) => sum + FRAME_HEADER_BYTES + size, 0));
  let offset = 0;
  records.forEach((record, i) => {
    const payloadStart = offset + FRAME_HEADER_BYTES;
    const payloadEnd = encodeRecordInto(record, buffer, payloadStart);
    buffer.writeUInt32LE(FRAME_MAGIC, offset);
    buffer.writeUInt32LE(sizes[i]!, offset + 4);
    buffer.writeUInt32LE(i, offset + 8);
    buffer.writeUInt32LE(records.length, offset + 12);
    buffer.writeUInt32LE(checksum(buffer, offset, payloadEnd), offset + 16);
    offset = payloadEnd;
  });
  return buffer;
}

export type HeaderCheck = { ok: true; payloadLength: number } | { ok: false; reason: string };

/** What the header alone says: enough to know how many bytes the whole frame needs. */
export function readHeader(header: Buffer): HeaderCheck {
  if (header.length < FRAME_HEADER_BYTES) return { ok: false, reason: 'file ends inside a frame header' };
  if (header.readUInt32LE(0) !== FRAME_MAGIC) return { ok: false, reason: 'no frame marker' };
  const payloadLength = header.readUInt32LE(4);
  if (payloadLength > MAX_PAYLOAD_BYTES) return { ok: false, reason: `implausible record length ${payloadLength}` };
  return { ok: true, payloadLength };
}

export type FrameCheck = { ok: true; frame: Frame } | { ok: false; reason: string };

/** Verifies and decodes a whole frame (`bytes` = header + payload, exactly). */
export function decodeFrame(bytes: Buffer): FrameCheck {
  const header = readHeader(bytes);
  if (!header.ok) return header;
  if (bytes.length !== FRAME_HEADER_BYTES + header.payloadLength) return { ok: false, reason: 'file ends inside a frame' };
  if (checksum(bytes, 0, bytes.length) !== bytes.readUInt32LE(16)) return { ok: false, reason: 'checksum mismatch' };
  const batchIndex = bytes.readUInt32LE(8);
  const batchSize = bytes.readUInt32LE(12);
  if (batchIndex >= batchSize) return { ok: false, reason: `batch position ${batchIndex} of ${batchSize}` };
  try {
    return { ok: true, frame: { record: decodeRecord(bytes.subarray(FRAME_HEADER_BYTES)), batchIndex, batchSize, length: bytes.length } };
  } catch (error) {
    // A checksum-valid frame that does not decode was written by a different encoder: never guess.
    return { ok: false, reason: `undecodable record (${(error as Error).message})` };
  }
}

/** CRC32 of the header fields after the magic (bytes 4..16 of the frame) and the payload. */
function checksum(buffer: Buffer, frameStart: number, frameEnd: number): number {
  const fields = crc32(buffer.subarray(frameStart + 4, frameStart + 16));
  return crc32(buffer.subarray(frameStart + FRAME_HEADER_BYTES, frameEnd), fields);
}
