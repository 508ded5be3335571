import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ANY,
  BACKWARDS,
  END,
  NO_STREAM,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type JSONRecordedEvent,
} from '@eventstore/db-client';
import { startEmulatorWithClient, type EmulatorFixture } from '../../testing/fixture';
import { jsonEvents, uniqueStream } from '../../testing/events';
import { readStreamEvents } from '../../testing/client-reads';
import { rejectionOf } from '../../../platform/testing/rejection';

/** A tombstone's `$tb` (Int64.MaxValue, 9223372036854775807) as the client's JSON.parse reads it: rounded to 2^63. */
const TOMBSTONE_TB_PARSED = Number('9223372036854775807');

let fixture: EmulatorFixture;

test.before(async () => {
  fixture = await startEmulatorWithClient();
});

test.after(async () => {
  await fixture.close();
});

async function streamWithFourEvents(prefix: string): Promise<string> {
  const stream = uniqueStream(prefix);
  await fixture.client.appendToStream(stream, jsonEvents(4), { expectedRevision: NO_STREAM });
  return stream;
}

async function readMetadataEvents(stream: string): Promise<JSONRecordedEvent[]> {
  const events: JSONRecordedEvent[] = [];
  for await (const resolved of fixture.client.readStream(`$$${stream}`)) events.push(resolved.event as JSONRecordedEvent);
  return events;
}

/** The `$all` records of one stream, newest first. */
async function allRecordsOf(stream: string) {
  const records: Array<{ type: string; revision: bigint; commit: bigint | undefined }> = [];
  for await (const resolved of fixture.client.readAll({ direction: BACKWARDS, fromPosition: END })) {
    const event = resolved.event!;
    if (event.streamId === stream) records.push({ type: event.type, revision: event.revision, commit: event.position?.commit });
  }
  return records;
}

test('28. deleteStream then readStream → StreamNotFoundError; $$s holds {"$tb": 9223372036854775807}', async () => {
  const stream = await streamWithFourEvents('twenty-eight');
  const result = await fixture.client.deleteStream(stream);
  assert.instance(await rejectionOf(readStreamEvents(fixture.client, stream)), StreamNotFoundError);

  const metadata = await readMetadataEvents(stream);
  assert.is(metadata.length, 1);
  assert.is(metadata[0]!.type, '$metadata');
  assert.is(metadata[0]!.isJson, true);
  assert.equal(metadata[0]!.data, { $tb: TOMBSTONE_TB_PARSED });
  // The client's JSON.parse rounds the number; the stored text is exact.
  const stored = fixture.emulator.log.streamRecord(`$$${stream}`, 0n)!;
  assert.is(Buffer.from(stored.data).toString('utf8'), '{"$tb":9223372036854775807}');
  assert.equal(
    result.position,
    { commit: metadata[0]!.position!.commit, prepare: metadata[0]!.position!.commit },
    'the position of the $metadata record',
  );
  // Soft-deleted events stay in $all.
  assert.is((await allRecordsOf(stream)).length, 4);
});

test('29. delete with a wrong exact revision → WEV (expected 2n); no_stream on an absent stream → WEV; on a metadata-only stream → success', async () => {
  const stream = await streamWithFourEvents('twenty-nine');
  const wrong = (await rejectionOf(fixture.client.deleteStream(stream, { expectedRevision: 2n }))) as WrongExpectedVersionError;
  assert.instance(wrong, WrongExpectedVersionError);
  assert.is(wrong.streamName, stream);
  assert.is(wrong.expectedVersion, 2n);
  assert.is(wrong.actualVersion, 3n);
  assert.is(
    wrong.message,
    `9 FAILED_PRECONDITION: Delete failed due to WrongExpectedVersion. Stream: ${stream}, Expected version: 2, Actual version: 3`,
  );
  assert.equal((await readStreamEvents(fixture.client, stream)).length, 4, 'not deleted');

  const absent = uniqueStream('twenty-nine-absent');
  const onAbsent = (await rejectionOf(fixture.client.deleteStream(absent, { expectedRevision: NO_STREAM }))) as WrongExpectedVersionError;
  assert.instance(onAbsent, WrongExpectedVersionError);
  // Delete errors carry numbers, so the client reports -1n for both "no stream" values.
  assert.is(onAbsent.expectedVersion, -1n);
  assert.is(onAbsent.actualVersion, -1n);
  assert.is(fixture.emulator.log.streamStatus(absent), 'absent');

  const metadataOnly = uniqueStream('twenty-nine-metadata');
  await fixture.client.setStreamMetadata(metadataOnly, { maxCount: 5 });
  const deleted = await fixture.client.deleteStream(metadataOnly, { expectedRevision: NO_STREAM });
  assert.ok(deleted.position);
  // A metastream shows only its latest `$metadata` (the server reads metastreams with `$maxCount` 1);
  // the earlier one is still in the log.
  assert.equal(
    (await readMetadataEvents(metadataOnly)).map((e) => e.data),
    [{ $tb: TOMBSTONE_TB_PARSED }],
  );
  assert.is(fixture.emulator.log.currentRevision(`$$${metadataOnly}`), 1n);

  const correct = await fixture.client.deleteStream(stream, { expectedRevision: 3n });
  assert.ok(correct.position);
  assert.instance(await rejectionOf(readStreamEvents(fixture.client, stream)), StreamNotFoundError);
});

test('30. append after soft delete continues the revisions and shows only new events; stream_exists on a soft-deleted stream → StreamDeletedError', async () => {
  const stream = await streamWithFourEvents('thirty');
  await fixture.client.deleteStream(stream, { expectedRevision: ANY });

  for (const options of [{}, { credentials: { username: 'admin', password: 'changeit' } }]) {
    const error = await rejectionOf(fixture.client.appendToStream(stream, jsonEvents(1), { expectedRevision: STREAM_EXISTS, ...options }));
    assert.instance(error, StreamDeletedError);
    assert.is((error as StreamDeletedError).streamName, stream);
  }

  const recreated = await fixture.client.appendToStream(stream, jsonEvents(2), { expectedRevision: ANY });
  assert.is(recreated.nextExpectedRevision, 5n);
  assert.equal(
    (await readStreamEvents(fixture.client, stream)).map((e) => e.revision),
    [4n, 5n],
  );
  const metadata = await readMetadataEvents(stream);
  assert.equal(metadata.at(-1)!.data, { $tb: 4 }, 'only revisions from 4 on are visible');
  assert.is((await fixture.client.appendToStream(stream, jsonEvents(1), { expectedRevision: 5n })).nextExpectedRevision, 6n);
});

test('31. after tombstoneStream: append, read, delete and tombstone → StreamDeletedError; readAll shows $streamDeleted', async () => {
  const stream = await streamWithFourEvents('thirty-one');
  const wrong = (await rejectionOf(fixture.client.tombstoneStream(stream, { expectedRevision: 1n }))) as WrongExpectedVersionError;
  assert.instance(wrong, WrongExpectedVersionError);
  assert.is(
    wrong.message,
    `9 FAILED_PRECONDITION: Delete failed due to WrongExpectedVersion. Stream: ${stream}, Expected version: 1, Actual version: 3`,
  );

  const tombstone = await fixture.client.tombstoneStream(stream, { expectedRevision: 3n });
  assert.ok(tombstone.position);

  // The client's types leave out stream_exists for tombstoneStream, but it sends it (spec 2.4).
  const streamExists = STREAM_EXISTS as unknown as bigint;
  const failures: Array<[string, () => Promise<unknown>]> = [
    ['append', () => fixture.client.appendToStream(stream, jsonEvents(1))],
    [
      'append via Append',
      () => fixture.client.appendToStream(stream, jsonEvents(1), { credentials: { username: 'admin', password: 'changeit' } }),
    ],
    ['read', () => readStreamEvents(fixture.client, stream)],
    ['delete', () => fixture.client.deleteStream(stream)],
    ['tombstone', () => fixture.client.tombstoneStream(stream)],
    ['tombstone stream_exists', () => fixture.client.tombstoneStream(stream, { expectedRevision: streamExists })],
  ];
  for (const [label, operation] of failures) {
    const error = await rejectionOf(operation());
    assert.instance(error, StreamDeletedError, label);
    assert.is((error as StreamDeletedError).streamName, stream, label);
  }

  const records = await allRecordsOf(stream);
  assert.equal(records[0], { type: '$streamDeleted', revision: 9223372036854775807n, commit: tombstone.position.commit });
  assert.is(records.length, 5, 'the four events stay in $all');

  // Tombstoning a stream that never existed succeeds with any.
  const never = uniqueStream('thirty-one-never');
  assert.ok((await fixture.client.tombstoneStream(never)).position);
  assert.instance(
    await rejectionOf(fixture.client.appendToStream(never, jsonEvents(1), { expectedRevision: NO_STREAM })),
    StreamDeletedError,
  );
});

test.run();
