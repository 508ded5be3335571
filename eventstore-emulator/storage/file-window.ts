import { readSync } from 'node:fs';

const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Reads a file in large chunks and hands out views into them. Chunks are never reused, so a
 * record decoded from a view may keep pointing into it: recovery does not copy event data.
 */
export class FileWindow {
  private chunk = Buffer.alloc(0);
  private chunkStart = 0;

  constructor(
    private readonly fd: number,
    readonly fileSize: number,
  ) {}

  /** `length` bytes at `offset`, which must lie inside the file. */
  bytes(offset: number, length: number): Buffer {
    const start = offset - this.chunkStart;
    if (start >= 0 && start + length <= this.chunk.length) return this.chunk.subarray(start, start + length);
    if (offset + length > this.fileSize) throw new RangeError(`read of ${length} bytes at ${offset} runs past the end (${this.fileSize})`);
    const size = Math.min(Math.max(length, CHUNK_BYTES), this.fileSize - offset);
    const chunk = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const read = readSync(this.fd, chunk, filled, size - filled, offset + filled);
      if (read === 0) throw new Error(`file shrank while being read (at byte ${offset + filled})`);
      filled += read;
    }
    this.chunk = chunk;
    this.chunkStart = offset;
    return chunk.subarray(0, length);
  }
}
