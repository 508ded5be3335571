import { jsonEvent, type ResolvedEvent } from '@eventstore/db-client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient } from '../testing/fixture';

const directory = mkdtempSync(join(tmpdir(), 'es-restart-'));
test.after(() => rmSync(directory, { recursive: true, force: true }));

async function collect(events: AsyncIterable<ResolvedEvent>): Promise<ResolvedEvent[]> {
  const all: ResolvedEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

test('a file-backed emulator keeps its events across a restart; revisions and positions continue', async () => {
  const first = await startEmulatorWithClient({ dataDirectory: directory });
  const firstAppend = await first.client.appendToStream('order-1', [
    jsonEvent({ type: 'OrderPlaced', data: { total: 10 } }),
    jsonEvent({ type: 'ItemAdded', data: { sku: 'A' }, metadata: { by: 'test' } }),
  ]);
  await first.client.appendToStream('payment-1', [jsonEvent({ type: 'PaymentRequested', data: {} })]);
  const before = await collect(first.client.readStream('order-1'));
  const allBefore = await collect(first.client.readAll());
  await first.close();

  const second = await startEmulatorWithClient({ dataDirectory: directory });
  try {
    const after = await collect(second.client.readStream('order-1'));
    assert.equal(
      after.map(({ event }) => [event?.id, event?.type, event?.revision, event?.position, event?.data, event?.metadata, event?.created]),
      before.map(({ event }) => [event?.id, event?.type, event?.revision, event?.position, event?.data, event?.metadata, event?.created]),
    );
    // Continues the stream from revision 1, with the expected-revision check seeing the restored stream.
    const next = await second.client.appendToStream('order-1', [jsonEvent({ type: 'OrderConfirmed', data: {} })], { expectedRevision: 1n });
    assert.equal(next.nextExpectedRevision, 2n);
    assert.ok(next.position!.commit > firstAppend.position!.commit);

    const allAfter = await collect(second.client.readAll());
    const ids = (events: ResolvedEvent[]) => events.map(({ event }) => event?.id);
    assert.equal(ids(allAfter).slice(0, allBefore.length), ids(allBefore), '$all keeps its order across the restart');
    // A restart writes a second epoch record but seeds the users only once (spec 3.10).
    const types = allAfter.map(({ event }) => event?.type);
    assert.equal(types.filter((type) => type === '$epoch-information').length, 2);
    assert.equal(types.filter((type) => type === '$UserCreated').length, 2);
  } finally {
    await second.close();
  }
});

test('a second emulator on the same data directory is refused', async () => {
  const running = await startEmulatorWithClient({ dataDirectory: directory });
  try {
    await startEmulatorWithClient({ dataDirectory: directory }).then(
      () => assert.unreachable('second emulator started'),
      (error: Error) => assert.match(error.message, /in use by another emulator/),
    );
  } finally {
    await running.close();
  }
});

test.run();
