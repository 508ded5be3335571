import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Metadata, credentials } from '@grpc/grpc-js';
import {
  ANY,
  DeadlineExceededError,
  EventStoreDBClient,
  MaxAppendSizeExceededError,
  NO_STREAM,
  RequiredMetadataPropertyMissingError,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  binaryEvent,
  convertToCommandError,
  jsonEvent,
  type AppendResult,
} from '@eventstore/db-client';
import { startEmulatorWithClient, type EmulatorFixture } from '../../testing/fixture';
import { serverFeatures, serverFeaturesGrpc, shared, streams } from '../proto';
import { jsonEvents, uniqueStream } from '../../testing/events';
import { lastAllPosition, readAllRecords, readStreamEvents } from '../../testing/client-reads';
import { rawStreamsClient, spyOnReceived } from '../../testing/raw-grpc';
import { rejectionOf } from '../../../platform/testing/rejection';

let fixture: EmulatorFixture;
/** Same emulator, `throwOnAppendFailure=false`: failures resolve `{success: false}`. */
let lenient: EventStoreDBClient;
// Per-call credentials make the client use Append instead of BatchAppend (spec 1.2); on an
// insecure channel the client then drops them.
const viaAppend = { credentials: { username: 'admin', password: 'changeit' } };

/** Number of `AppendReq` / `BatchAppendReq` messages the emulator has received. */
const received = { append: 0, batchAppend: 0 };
const restoreSpies: Array<() => void> = [];

test.before(async () => {
  restoreSpies.push(spyOnReceived(streams.AppendReq, () => received.append++));
  restoreSpies.push(spyOnReceived(streams.BatchAppendReq, () => received.batchAppend++));
  fixture = await startEmulatorWithClient();
  lenient = EventStoreDBClient.connectionString(`${fixture.emulator.url}&throwOnAppendFailure=false`);
});

test.after(async () => {
  await lenient.dispose();
  await fixture.close();
  for (const restore of restoreSpies) restore();
});

function assertPosition(result: AppendResult): bigint {
  assert.ok(result.position, 'a position');
  assert.is(typeof result.position.commit, 'bigint');
  assert.is(result.position.commit, result.position.prepare);
  return result.position.commit;
}

async function writeFourEvents(stream: string): Promise<AppendResult> {
  return fixture.client.appendToStream(stream, jsonEvents(4), { expectedRevision: NO_STREAM });
}

test('1. GetSupportedMethods returns the spec table; capabilities.serverVersion is the configured version', async () => {
  const custom = await startEmulatorWithClient({ serverVersion: '24.10.9-test' });
  try {
    const capabilities = await (custom.client as unknown as { capabilities: Promise<{ serverVersion: string }> }).capabilities;
    assert.is(capabilities.serverVersion, '24.10.9-test');

    const raw = new serverFeaturesGrpc.ServerFeaturesClient(
      `${custom.emulator.host}:${custom.emulator.port}`,
      credentials.createInsecure(),
    );
    const methods = await new Promise<InstanceType<typeof serverFeatures.SupportedMethods>>((resolve, reject) =>
      raw.getSupportedMethods(new shared.Empty(), new Metadata(), (error, response) => (error ? reject(error) : resolve(response!))),
    );
    raw.close();
    const table = methods.getMethodsList().map((m) => `${m.getServiceName()}/${m.getMethodName()}:${m.getFeaturesList().join(',')}`);
    const streamsService = 'event_store.client.streams.streams';
    const persistent = 'event_store.client.persistent_subscriptions.persistentsubscriptions';
    assert.equal(
      table.sort(),
      [
        `${streamsService}/read:position,events`,
        `${streamsService}/append:`,
        `${streamsService}/delete:`,
        `${streamsService}/tombstone:`,
        `${streamsService}/batchappend:`,
        ...['create', 'update', 'delete', 'read', 'getinfo', 'replayparked', 'list', 'restartsubsystem'].map(
          (m) => `${persistent}/${m}:stream,all`,
        ),
        'event_store.client.server_features.serverfeatures/getsupportedmethods:',
      ].sort(),
    );
    assert.is(methods.getEventStoreServerVersion(), '24.10.9-test');
  } finally {
    await custom.close();
  }
});

test('2. with GetSupportedMethods UNIMPLEMENTED, appendToStream still succeeds (via Append)', async () => {
  const old = await startEmulatorWithClient({ serverFeatures: false });
  try {
    const before = { ...received };
    const stream = uniqueStream('no-features');
    const result = await old.client.appendToStream(stream, jsonEvents(2), { expectedRevision: NO_STREAM });
    assert.is(result.success, true);
    assert.is(result.nextExpectedRevision, 1n);
    assertPosition(result);
    assert.is(received.append - before.append, 3, 'options + 2 proposed messages over Append');
    assert.is(received.batchAppend - before.batchAppend, 0, 'BatchAppend never used');
    const capabilities = await (old.client as unknown as { capabilities: Promise<{ serverVersion: string }> }).capabilities;
    assert.is(capabilities.serverVersion, 'unknown');
    assert.equal(
      (await readStreamEvents(old.client, stream)).map((e) => e.revision),
      [0n, 1n],
    );
  } finally {
    await old.close();
  }
});

test('5. four JSON events with no_stream → revision 3n and a position; any continues at 4', async () => {
  const stream = uniqueStream('five');
  const first = await writeFourEvents(stream);
  assert.is(first.success, true);
  assert.is(first.nextExpectedRevision, 3n);
  const firstPosition = assertPosition(first);
  assert.is(await lastAllPosition(fixture.client), firstPosition, 'the position of the last event written');

  const second = await fixture.client.appendToStream(stream, jsonEvents(1), { expectedRevision: ANY });
  assert.is(second.nextExpectedRevision, 4n);
  assert.ok(assertPosition(second) > firstPosition);
  assert.equal(
    (await readStreamEvents(fixture.client, stream)).map((e) => e.revision),
    [0n, 1n, 2n, 3n, 4n],
  );
});

test('6. no_stream on an existing stream → WrongExpectedVersionError{no_stream, actual 3n}', async () => {
  const stream = uniqueStream('six');
  await writeFourEvents(stream);
  const error = await rejectionOf(fixture.client.appendToStream(stream, jsonEvents(1), { expectedRevision: NO_STREAM }));
  assert.instance(error, WrongExpectedVersionError);
  const wev = error as WrongExpectedVersionError;
  assert.is(wev.streamName, stream);
  assert.is(wev.expectedVersion, NO_STREAM);
  assert.is(wev.actualVersion, 3n);
});

test('7. stream_exists on an absent stream → WEV actual no_stream; exact ≠ current → WEV with both', async () => {
  const absent = uniqueStream('seven-absent');
  const onAbsent = (await rejectionOf(
    fixture.client.appendToStream(absent, jsonEvents(1), { expectedRevision: STREAM_EXISTS }),
  )) as WrongExpectedVersionError;
  assert.instance(onAbsent, WrongExpectedVersionError);
  assert.is(onAbsent.expectedVersion, STREAM_EXISTS);
  assert.is(onAbsent.actualVersion, 'no_stream');

  const stream = uniqueStream('seven');
  await writeFourEvents(stream);
  const exact = (await rejectionOf(
    fixture.client.appendToStream(stream, jsonEvents(1), { expectedRevision: 5n }),
  )) as WrongExpectedVersionError;
  assert.instance(exact, WrongExpectedVersionError);
  assert.is(exact.expectedVersion, 5n);
  assert.is(exact.actualVersion, 3n);
  const behind = (await rejectionOf(
    fixture.client.appendToStream(stream, jsonEvents(1), { expectedRevision: 1n }),
  )) as WrongExpectedVersionError;
  assert.is(behind.expectedVersion, 1n);
  assert.is(behind.actualVersion, 3n);
});

test('8. the same batch re-sent with its original revision, no_stream and any → same result; $all unchanged', async () => {
  const stream = uniqueStream('eight');
  const batchA = jsonEvents(3);
  const batchB = jsonEvents(2);
  const a = await fixture.client.appendToStream(stream, batchA, { expectedRevision: NO_STREAM });
  const b = await fixture.client.appendToStream(stream, batchB, { expectedRevision: 2n });
  const all = await readAllRecords(fixture.client);

  const repeats: Array<[string, AppendResult, AppendResult]> = [
    ['A with no_stream', await fixture.client.appendToStream(stream, batchA, { expectedRevision: NO_STREAM }), a],
    ['A with any', await fixture.client.appendToStream(stream, batchA, { expectedRevision: ANY }), a],
    ['B with 2n', await fixture.client.appendToStream(stream, batchB, { expectedRevision: 2n }), b],
    ['B with any', await fixture.client.appendToStream(stream, batchB, { expectedRevision: ANY }), b],
    ['A with no_stream over Append', await fixture.client.appendToStream(stream, batchA, { expectedRevision: NO_STREAM, ...viaAppend }), a],
    ['B with 2n over Append', await fixture.client.appendToStream(stream, batchB, { expectedRevision: 2n, ...viaAppend }), b],
  ];
  for (const [label, repeat, original] of repeats) {
    assert.is(repeat.success, true, label);
    assert.is(repeat.nextExpectedRevision, original.nextExpectedRevision, label);
    assert.equal(repeat.position, original.position, label);
  }
  assert.is(a.nextExpectedRevision, 2n);
  assert.is(b.nextExpectedRevision, 4n);
  assert.equal(await readAllRecords(fixture.client), all, '$all unchanged');
});

test('9. exact revision with a matching first id but a differing later one → WEV; any with a new first id and an old later id → all written', async () => {
  const stream = uniqueStream('nine');
  const original = jsonEvents(4);
  await fixture.client.appendToStream(stream, original, { expectedRevision: NO_STREAM });

  const mixed = [original[1]!, jsonEvent({ type: 'TestEvent', data: { new: true } })];
  const error = (await rejectionOf(fixture.client.appendToStream(stream, mixed, { expectedRevision: 0n }))) as WrongExpectedVersionError;
  assert.instance(error, WrongExpectedVersionError);
  assert.is(error.expectedVersion, 0n);
  assert.is(error.actualVersion, 3n);

  const fresh = jsonEvent({ type: 'TestEvent', data: { fresh: true } });
  const written = await fixture.client.appendToStream(stream, [fresh, original[1]!], { expectedRevision: ANY });
  assert.is(written.nextExpectedRevision, 5n);
  const ids = (await readStreamEvents(fixture.client, stream)).map((e) => e.id);
  assert.equal(ids, [...original.map((e) => e.id), fresh.id, original[1]!.id]);
});

test('10. throwOnAppendFailure false → {success: false} on both BatchAppend and Append', async () => {
  const stream = uniqueStream('ten');
  await writeFourEvents(stream);
  const before = { ...received };

  const overBatch = await lenient.appendToStream(stream, jsonEvents(1), { expectedRevision: NO_STREAM });
  // Client 6.2.1 bug (spec 2.2): BatchAppend reports BigInt(hasCurrentStreamRevision()) = 1n.
  assert.equal(overBatch, { success: false, nextExpectedRevision: 1n, position: undefined });
  const overAppend = await lenient.appendToStream(stream, jsonEvents(1), { expectedRevision: NO_STREAM, ...viaAppend });
  assert.equal(overAppend, { success: false, nextExpectedRevision: 3n, position: undefined });

  const absent = uniqueStream('ten-absent');
  assert.equal(await lenient.appendToStream(absent, jsonEvents(1), { expectedRevision: STREAM_EXISTS }), {
    success: false,
    nextExpectedRevision: -1n,
    position: undefined,
  });
  assert.equal(await lenient.appendToStream(absent, jsonEvents(1), { expectedRevision: STREAM_EXISTS, ...viaAppend }), {
    success: false,
    nextExpectedRevision: -1n,
    position: undefined,
  });
  assert.is(received.batchAppend - before.batchAppend, 2);
  assert.is(received.append - before.append, 4);
  assert.equal((await readStreamEvents(fixture.client, stream)).length, 4, 'nothing written');
});

test('11. a proposed message without type over Append (raw gRPC) → RequiredMetadataPropertyMissingError', async () => {
  // Covered in depth (both RPCs, both properties) in malformed.int.test.ts; this is the client-error mapping.
  const raw = rawStreamsClient(fixture.emulator);
  const stream = uniqueStream('eleven');
  const error = await new Promise<Error | null>((resolve) => {
    const call = raw.append(new Metadata(), (err) => resolve(err));
    const options = new streams.AppendReq.Options();
    options.setStreamIdentifier(new shared.StreamIdentifier().setStreamName(Buffer.from(stream)));
    options.setAny(new shared.Empty());
    call.write(new streams.AppendReq().setOptions(options));
    const message = new streams.AppendReq.ProposedMessage();
    message.setId(new shared.UUID().setString('5d1e2f6a-3b1c-4d2e-8f00-0123456789ab'));
    message.getMetadataMap().set('content-type', 'application/json');
    message.setData(Buffer.from('{}'));
    call.write(new streams.AppendReq().setProposedMessage(message));
    call.end();
  });
  raw.close();
  const converted = convertToCommandError(error!);
  assert.instance(converted, RequiredMetadataPropertyMissingError);
  assert.equal((converted as RequiredMetadataPropertyMissingError).requiredMetadataProperties, ['type', 'content-type']);
  assert.is(error!.message, "3 INVALID_ARGUMENT: Required Metadata Property 'type' is missing");
  assert.instance(await rejectionOf(readStreamEvents(fixture.client, stream)), StreamNotFoundError);
});

test('12. an append over 1 MiB → MaxAppendSizeExceededError{1048576} on both paths; nothing written', async () => {
  const stream = uniqueStream('twelve');
  const all = await readAllRecords(fixture.client);
  const big = [binaryEvent({ type: 'Big', data: new Uint8Array(600_000) }), binaryEvent({ type: 'Big', data: new Uint8Array(600_000) })];
  for (const options of [{}, viaAppend]) {
    const error = await rejectionOf(fixture.client.appendToStream(stream, big, options));
    assert.instance(error, MaxAppendSizeExceededError);
    assert.is((error as MaxAppendSizeExceededError).maxAppendSize, 1_048_576);
  }
  assert.instance(await rejectionOf(readStreamEvents(fixture.client, stream)), StreamNotFoundError);
  assert.equal(await readAllRecords(fixture.client), all, '$all unchanged');
  // Exactly at the limit is allowed: data + custom metadata + 2 × type.
  const atLimit = binaryEvent({ type: 'Big', data: new Uint8Array(1_048_576 - 6) });
  assert.is((await fixture.client.appendToStream(stream, atLimit)).nextExpectedRevision, 0n);
});

test('13. an empty append with any on an absent stream succeeds; the stream stays absent', async () => {
  const stream = uniqueStream('thirteen');
  for (const options of [{}, viaAppend]) {
    const result = await fixture.client.appendToStream(stream, [], { expectedRevision: ANY, ...options });
    assert.is(result.success, true);
    // The server answers `no_stream`; client 6.2.1 reads the unset revision field as 0n.
    assert.is(result.nextExpectedRevision, 0n);
  }
  assert.instance(await rejectionOf(readStreamEvents(fixture.client, stream)), StreamNotFoundError);
  assert.is(fixture.emulator.log.streamStatus(stream), 'absent');
});

test('14. 50 concurrent appends over BatchAppend resolve with distinct, increasing positions', async () => {
  const stream = uniqueStream('fourteen');
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => fixture.client.appendToStream(stream, jsonEvent({ type: 'Concurrent', data: { i } }))),
  );
  const positions = results.map((result) => assertPosition(result));
  assert.is(new Set(positions).size, 50, 'distinct');
  for (let i = 1; i < positions.length; i++) assert.ok(positions[i]! > positions[i - 1]!, `position ${i} after ${i - 1}`);
  assert.equal(
    results.map((r) => r.nextExpectedRevision),
    Array.from({ length: 50 }, (_, i) => BigInt(i)),
  );
  const events = await readStreamEvents(fixture.client, stream);
  assert.is(events.length, 50);
});

test('15. with batchAppendSize 1 MiB a 5 MiB append arrives in chunks and applies once', async () => {
  const large = await startEmulatorWithClient({ maxAppendSize: 8 * 1024 * 1024 });
  const chunks: Array<{ events: number; final: boolean; options: boolean }> = [];
  const restore = spyOnReceived(streams.BatchAppendReq, (request) =>
    chunks.push({ events: request.getProposedMessagesList().length, final: request.getIsFinal(), options: request.hasOptions() }),
  );
  try {
    const stream = uniqueStream('fifteen');
    const writes: number[] = [];
    large.emulator.log.onAppend((records) => writes.push(records.filter((r) => r.streamName === stream).length));
    const events = Array.from({ length: 50 }, (_, i) => binaryEvent({ type: 'Chunk', data: new Uint8Array(100 * 1024).fill(i) }));
    const result = await large.client.appendToStream(stream, events, { expectedRevision: NO_STREAM, batchAppendSize: 1024 * 1024 });
    assert.is(result.nextExpectedRevision, 49n);
    assert.ok(chunks.length >= 5, `${chunks.length} chunks`);
    assert.is(
      chunks.reduce((sum, c) => sum + c.events, 0),
      50,
    );
    assert.equal(
      chunks.map((c) => c.final),
      [...Array(chunks.length - 1).fill(false), true],
    );
    assert.equal(
      chunks.map((c) => c.options),
      [true, ...Array(chunks.length - 1).fill(false)],
    );
    assert.equal(
      writes.filter((n) => n > 0),
      [50],
      'one write with all events',
    );
    const stored = await readStreamEvents(large.client, stream);
    assert.equal(
      stored.map((e) => e.id),
      events.map((e) => e.id),
    );
  } finally {
    restore();
    await large.close();
  }
});

test('16. deadline 1 ms with 30 000 events → DeadlineExceededError on BatchAppend and on Append; nothing written', async () => {
  const stream = uniqueStream('sixteen');
  const events = Array.from({ length: 30_000 }, () => jsonEvent({ type: 'e', data: {} }));
  const overBatch = await rejectionOf(fixture.client.appendToStream(stream, events, { deadline: 1 }));
  assert.instance(overBatch, DeadlineExceededError);
  const overAppend = await rejectionOf(fixture.client.appendToStream(stream, events, { deadline: 1, ...viaAppend }));
  assert.instance(overAppend, DeadlineExceededError);
  // Whatever the server still had in flight has had time to land by now.
  await sleep(300);
  assert.is(fixture.emulator.log.streamStatus(stream), 'absent');
  // The shared BatchAppend call survived the per-append error.
  assert.is((await fixture.client.appendToStream(stream, jsonEvents(1))).nextExpectedRevision, 0n);
});

test('17. per-call credentials force Append; results match BatchAppend', async () => {
  const outcomes = async (options: object) => {
    const stream = uniqueStream('seventeen');
    const first = await fixture.client.appendToStream(stream, jsonEvents(4), { expectedRevision: NO_STREAM, ...options });
    const second = await fixture.client.appendToStream(stream, jsonEvents(1), { expectedRevision: 3n, ...options });
    const empty = await fixture.client.appendToStream(stream, [], { expectedRevision: STREAM_EXISTS, ...options });
    const conflict = (await rejectionOf(
      fixture.client.appendToStream(stream, jsonEvents(1), { expectedRevision: 2n, ...options }),
    )) as WrongExpectedVersionError;
    return {
      revisions: [first.nextExpectedRevision, second.nextExpectedRevision, empty.nextExpectedRevision],
      successes: [first.success, second.success, empty.success],
      positioned: [first, second].map((r) => r.position !== undefined && r.position.commit === r.position.prepare),
      conflict: [conflict.constructor.name, conflict.expectedVersion, conflict.actualVersion],
      stored: (await readStreamEvents(fixture.client, stream)).map((e) => e.revision),
    };
  };
  let before = { ...received };
  const batch = await outcomes({});
  assert.is(received.append - before.append, 0, 'no Append without credentials');
  before = { ...received };
  const append = await outcomes(viaAppend);
  assert.is(received.batchAppend - before.batchAppend, 0, 'no BatchAppend with credentials');
  assert.is(received.append - before.append, 5 + 2 + 1 + 2, 'options and proposed messages of 4 appends');
  assert.equal(append, batch);
  assert.equal(batch, {
    revisions: [3n, 4n, 4n],
    successes: [true, true, true],
    positioned: [true, true],
    conflict: ['WrongExpectedVersionError', 2n, 4n],
    stored: [0n, 1n, 2n, 3n, 4n],
  });
});

test('18. appending to a tombstoned stream → StreamDeletedError{streamName} on both paths', async () => {
  const stream = uniqueStream('eighteen');
  await writeFourEvents(stream);
  await fixture.client.tombstoneStream(stream);
  for (const expectedRevision of [ANY, NO_STREAM, STREAM_EXISTS, 3n] as const) {
    for (const options of [{}, viaAppend]) {
      const error = await rejectionOf(fixture.client.appendToStream(stream, jsonEvents(1), { expectedRevision, ...options }));
      assert.instance(error, StreamDeletedError, `${String(expectedRevision)} ${JSON.stringify(options)}`);
      assert.is((error as StreamDeletedError).streamName, stream);
    }
  }
});

test.run();
