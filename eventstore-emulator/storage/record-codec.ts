import type { LogRecord } from '../log/records';

/**
 * Binary form of one LogRecord, the payload of a frame (see frame.ts). Little-endian:
 *
 *   u8  flags          bit 0 isJson, bit 1 id stored as 16 raw bytes (else u32 length + UTF-8)
 *   u48 index
 *   u64 position
 *   u64 revision       (the tombstone revision, Int64.MaxValue, fits)
 *   i64 created        100-ns ticks
 *   id                 16 bytes, or u32 length + UTF-8
 *   u32 length + UTF-8 stream name
 *   u32 length + UTF-8 event type
 *   u32 length + bytes data
 *   u32 length + bytes metadata
 *
 * Ids are almost always canonical UUIDs, so they get the 16-byte form; anything else is kept
 * verbatim rather than rejected, because refusing a write here would fail an append the log
 * already accepted.
 */

const IS_JSON = 0b01;
const BINARY_ID = 0b10;
const FIXED_BYTES = 1 + 6 + 8 + 8 + 8;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodedRecordSize(record: LogRecord): number {
  const idBytes = CANONICAL_UUID.test(record.id) ? 16 : 4 + Buffer.byteLength(record.id);
  return (
    FIXED_BYTES +
    idBytes +
    4 +
    Buffer.byteLength(record.streamName) +
    4 +
    Buffer.byteLength(record.type) +
    4 +
    record.data.length +
    4 +
    record.metadata.length
  );
}

/** Writes `record` into `target` at `offset`; returns the offset after it. */
export function encodeRecordInto(record: LogRecord, target: Buffer, offset: number): number {
  const binaryId = CANONICAL_UUID.test(record.id);
  let at = target.writeUInt8((record.isJson ? IS_JSON : 0) | (binaryId ? BINARY_ID : 0), offset);
  at = target.writeUIntLE(record.index, at, 6);
  at = target.writeBigUInt64LE(record.position, at);
  at = target.writeBigUInt64LE(record.revision, at);
  at = target.writeBigInt64LE(record.created, at);
  if (binaryId) at += target.write(record.id.replaceAll('-', ''), at, 'hex');
  else at = writeString(target, at, record.id);
  at = writeString(target, at, record.streamName);
  at = writeString(target, at, record.type);
  at = writeBytes(target, at, record.data);
  return writeBytes(target, at, record.metadata);
}

/**
 * Reads a record back. `data` and `metadata` are views into `payload` (no copy): the caller
 * hands in a buffer it will not reuse.
 */
export function decodeRecord(payload: Buffer): LogRecord {
  const reader = new PayloadReader(payload);
  const flags = reader.u8();
  const index = reader.u48();
  const position = reader.u64();
  const revision = reader.u64();
  const created = reader.i64();
  const id = flags & BINARY_ID ? uuidFromBytes(reader.bytes(16)) : reader.string();
  const streamName = reader.string();
  const type = reader.string();
  const data = reader.lengthPrefixedBytes();
  const metadata = reader.lengthPrefixedBytes();
  reader.expectEnd();
  return { index, position, streamName, revision, id, type, isJson: (flags & IS_JSON) !== 0, data, metadata, created };
}

function writeString(target: Buffer, offset: number, value: string): number {
  const length = target.write(value, offset + 4, 'utf8');
  target.writeUInt32LE(length, offset);
  return offset + 4 + length;
}

function writeBytes(target: Buffer, offset: number, value: Uint8Array): number {
  target.writeUInt32LE(value.length, offset);
  target.set(value, offset + 4);
  return offset + 4 + value.length;
}

function uuidFromBytes(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

class PayloadReader {
  private offset = 0;
  constructor(private readonly payload: Buffer) {}

  u8(): number {
    return this.payload.readUInt8(this.advance(1));
  }
  u48(): number {
    return this.payload.readUIntLE(this.advance(6), 6);
  }
  u64(): bigint {
    return this.payload.readBigUInt64LE(this.advance(8));
  }
  i64(): bigint {
    return this.payload.readBigInt64LE(this.advance(8));
  }
  bytes(length: number): Buffer {
    const start = this.advance(length);
    return this.payload.subarray(start, start + length);
  }
  lengthPrefixedBytes(): Buffer {
    return this.bytes(this.payload.readUInt32LE(this.advance(4)));
  }
  string(): string {
    return this.lengthPrefixedBytes().toString('utf8');
  }
  expectEnd(): void {
    if (this.offset !== this.payload.length) throw new RangeError(`record payload has ${this.payload.length - this.offset} unread bytes`);
  }

  /** Returns the start of the next `length` bytes, throwing (RangeError) if they run past the payload. */
  private advance(length: number): number {
    const start = this.offset;
    if (start + length > this.payload.length) throw new RangeError('record payload ends early');
    this.offset += length;
    return start;
  }
}
