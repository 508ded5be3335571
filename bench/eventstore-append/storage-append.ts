import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '../../eventstore-emulator/log/event-log';
import { openFileStorage } from '../../eventstore-emulator/storage/file-storage';

/**
 * The file log alone, no gRPC: how many fsync'd appends the disk allows. Read next to the
 * client-level file figures, it shows how much of their cost is the disk.
 */
export async function measureStorageAppends(
  batchSize: number,
  seconds: number,
): Promise<{ appendsPerSecond: number; eventsPerSecond: number }> {
  const directory = mkdtempSync(join(tmpdir(), 'es-bench-storage-'));
  const opened = openFileStorage(directory);
  try {
    const log = new EventLog({ storage: opened.storage });
    const data = Buffer.from(
      JSON.stringify({ cartId: 'cart-1', sku: 'SKU-1', quantity: 1, unitPriceCents: 1299, addedAt: '2024-01-01T00:00:00.000Z' }),
    );
    const started = performance.now();
    let appends = 0;
    while (performance.now() - started < seconds * 1000) {
      const events = Array.from({ length: batchSize }, () => ({
        id: randomUUID(),
        type: 'ItemAddedToCart',
        isJson: true,
        data,
        metadata: new Uint8Array(),
      }));
      log.append('bench-storage', 'any', events);
      appends++;
      // Yield now and then, as the server does between requests.
      if (appends % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const elapsed = (performance.now() - started) / 1000;
    return { appendsPerSecond: appends / elapsed, eventsPerSecond: (appends * batchSize) / elapsed };
  } finally {
    opened.close();
    rmSync(directory, { recursive: true, force: true });
  }
}
