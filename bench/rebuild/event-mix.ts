/**
 * A realistic log for the rebuild benchmark, made quickly.
 *
 * A small shop slice is written the way the services write it (projectors/testing/fixture.ts `Shop`:
 * domain deciders, the real client, an in-process emulator): products with stock, then
 * checkouts of one to three lines that end in each way a checkout ends — confirmed (most),
 * payment declined, payment timed out, cancelled by the customer, out of stock. Every identifier
 * in the slice carries the marker `-T-`, so the slice can be stamped out again and again with
 * fresh products, orders and customers: copy k replaces the marker with `-k-` in stream names,
 * data and metadata, and gets fresh event ids. The copies are then one long history of a shop
 * whose every event is one the system itself would write.
 */
import { randomUUID } from 'node:crypto';
import { startEmulatorWithClient } from '../../eventstore-emulator/testing/fixture';
import type { LogRecord, ProposedEvent } from '../../eventstore-emulator/log/records';
import { Shop, type Line } from '../../projectors/testing/fixture';
import { seededRandom } from '../../platform/testing/seeded-random';

export const MARKER = '-T-';

export interface TemplateEvent {
  readonly streamName: string;
  readonly type: string;
  readonly isJson: boolean;
  readonly data: string;
  readonly metadata: string;
}

export interface SliceShape {
  products: number;
  orders: number;
}

type Outcome = 'confirm' | 'decline' | 'timeout' | 'customer_cancels';

/** Writes one slice through the real client and answers its events in log order (system records left out). */
export async function writeTemplateSlice({ products, orders }: SliceShape, seed = 42): Promise<TemplateEvent[]> {
  const random = seededRandom(seed);
  const { client, emulator, close } = await startEmulatorWithClient();
  try {
    const shop = new Shop(client);
    const skus = Array.from({ length: products }, (_, i) => `sku${MARKER}${String(i).padStart(4, '0')}`);
    // A few products with little stock, so some checkouts run out of it.
    for (const [i, sku] of skus.entries()) await shop.addProduct(sku, 500 + 100 * (i % 20), i % 10 === 0 ? 3 : 1_000_000);
    for (let n = 0; n < orders; n++) {
      const count = 1 + Math.floor(random() * 3);
      const chosen = new Set<string>();
      while (chosen.size < count) chosen.add(skus[Math.floor(random() * skus.length)]!);
      const lines: Line[] = [...chosen].map((sku) => ({
        sku,
        quantity: 1 + Math.floor(random() * 2),
        price: 500 + 100 * (Number(sku.slice(-4)) % 20),
      }));
      const roll = random();
      const outcome: Outcome = roll < 0.8 ? 'confirm' : roll < 0.9 ? 'decline' : roll < 0.95 ? 'timeout' : 'customer_cancels';
      await shop.checkout(`ord${MARKER}${String(n).padStart(6, '0')}`, `cus${MARKER}${String(n % 97).padStart(3, '0')}`, lines, outcome);
    }
    const decoder = new TextDecoder();
    const events: TemplateEvent[] = [];
    for (let index = 0; index < emulator.log.length; index++) {
      const record = emulator.log.recordAt(index)!;
      if (record.streamName.startsWith('$') || record.type.startsWith('$')) continue;
      events.push({
        streamName: record.streamName,
        type: record.type,
        isJson: record.isJson,
        data: decoder.decode(record.data),
        metadata: decoder.decode(record.metadata),
      });
    }
    return events;
  } finally {
    await close();
  }
}

/** Copy `k` of the slice, ready to append: the marker replaced everywhere, fresh event ids. */
export function stampCopy(template: readonly TemplateEvent[], k: number): { streamName: string; event: ProposedEvent }[] {
  const encoder = new TextEncoder();
  const mark = `-${k}-`;
  return template.map((event) => ({
    streamName: event.streamName.replaceAll(MARKER, mark),
    event: {
      id: randomUUID(),
      type: event.type,
      isJson: event.isJson,
      data: encoder.encode(event.data.replaceAll(MARKER, mark)),
      metadata: encoder.encode(event.metadata.replaceAll(MARKER, mark)),
    },
  }));
}

export type { LogRecord };
