import { randomBytes } from 'node:crypto';
import {
  BACKWARDS,
  binaryEvent,
  END,
  FORWARDS,
  jsonEvent,
  START,
  StreamDeletedError,
  StreamNotFoundError,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient } from '../../testing/fixture';
import { collect } from '../../testing/client-reads';
import { uniqueStream } from '../../testing/events';
import { rawReadStream } from '../../testing/raw-grpc';
import { rejectionOf } from '../../../platform/testing/rejection';

// Spec section 5, items 19–27, through the real client.
const fixture = await startEmulatorWithClient();
const { client } = fixture;
test.after(() => fixture.close());

const revisions = (events: ResolvedEvent[]) => events.map((resolved) => resolved.event?.revision);

async function appendNumbered(stream: string, count: number): Promise<void> {
  await client.appendToStream(
    stream,
    Array.from({ length: count }, (_, i) => jsonEvent({ type: 'Numbered', data: { n: i } })),
  );
}

test('19. readStream returns type, JSON data, JSON metadata, revision, created ≈ now, isJson as written', async () => {
  const stream = uniqueStream('order');
  const first = jsonEvent({
    type: 'OrderPlaced',
    data: { orderId: 'o-1', lines: [{ sku: 'A', qty: 2 }] },
    metadata: { correlationId: 'c-1' },
  });
  const second = binaryEvent({ type: 'Blob', data: Buffer.from([1, 2, 3]) });
  const before = Date.now();
  const appended = await client.appendToStream(stream, [first, second]);
  const after = Date.now();

  const events = await collect(client.readStream(stream));
  assert.is(events.length, 2);
  const [json, binary] = events.map((resolved) => resolved.event!);
  assert.is(json!.streamId, stream);
  assert.is(json!.id, first.id);
  assert.is(json!.type, 'OrderPlaced');
  assert.equal(json!.data, { orderId: 'o-1', lines: [{ sku: 'A', qty: 2 }] });
  assert.equal(json!.metadata, { correlationId: 'c-1' });
  assert.is(json!.revision, 0n);
  assert.is(json!.isJson, true);
  assert.ok(json!.created.getTime() >= before - 1 && json!.created.getTime() <= after + 1, `created ${json!.created.toISOString()}`);

  assert.is(binary!.id, second.id);
  assert.is(binary!.revision, 1n);
  assert.is(binary!.isJson, false);
  assert.is(binary!.metadata, undefined);
  // The last event's position is the one appendToStream reported, and every record carries its own.
  assert.equal(binary!.position, appended.position);
  assert.is(events[1]!.commitPosition, appended.position!.commit);
  assert.ok(json!.position!.commit < binary!.position!.commit);
  assert.is(events[0]!.link, undefined);
});

test('20. binary data round-trips exactly; a custom content type comes back as octet-stream', async () => {
  const stream = uniqueStream('blob');
  const bytes = Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0x80, 0x00]), randomBytes(4096)]);
  const custom = { ...binaryEvent({ type: 'Custom', data: Buffer.from('ignored') }), contentType: 'text/plain' };
  // The client only writes data for JSON and octet-stream; with any other type it sends no data.
  await client.appendToStream(stream, [
    binaryEvent({ type: 'Bytes', data: bytes }),
    custom as never,
    jsonEvent({ type: 'Json', data: { ok: true } }),
  ]);

  const events = await collect(client.readStream(stream));
  assert.is(events.length, 3);
  assert.ok(events[0]!.event!.data instanceof Uint8Array);
  assert.ok(Buffer.from(events[0]!.event!.data as Uint8Array).equals(bytes), 'bytes differ');
  assert.is(events[1]!.event!.isJson, false);
  assert.is((events[1]!.event!.data as Uint8Array).length, 0);

  const raw = await rawReadStream(fixture.emulator, stream);
  const metadataOf = (i: number) => Object.fromEntries(raw[i]!.getEvent()!.getEvent()!.getMetadataMap().toArray());
  assert.equal(Object.keys(metadataOf(1)).sort(), ['content-type', 'created', 'type']);
  assert.is(metadataOf(0)['content-type'], 'application/octet-stream');
  assert.is(metadataOf(1)['content-type'], 'application/octet-stream');
  assert.is(metadataOf(1).type, 'Custom');
  assert.is(metadataOf(2)['content-type'], 'application/json');
  // created = 100-ns ticks since the Unix epoch, as a decimal string.
  assert.match(metadataOf(2).created!, /^\d{17,}$/);
  const createdMs = Number(BigInt(metadataOf(2).created!) / 10_000n);
  assert.ok(Math.abs(createdMs - events[2]!.event!.created.getTime()) <= 1);
  assert.is(raw[0]!.getEvent()!.getEvent()!.getId()!.getString(), events[0]!.event!.id);
});

test('21. absent stream → StreamNotFoundError{streamName}; tombstoned → StreamDeletedError', async () => {
  const absent = uniqueStream('absent');
  const notFound = await rejectionOf(collect(client.readStream(absent)));
  assert.instance(notFound, StreamNotFoundError);
  assert.is((notFound as StreamNotFoundError).streamName, absent);
  const backwards = await rejectionOf(collect(client.readStream(absent, { direction: BACKWARDS, fromRevision: END })));
  assert.instance(backwards, StreamNotFoundError);

  const doomed = uniqueStream('doomed');
  await appendNumbered(doomed, 2);
  await client.tombstoneStream(doomed);
  const deleted = await rejectionOf(collect(client.readStream(doomed)));
  assert.instance(deleted, StreamDeletedError);
  assert.is((deleted as StreamDeletedError).streamName, doomed);
  assert.match(deleted.message, `Event stream '${doomed}' is deleted.`);
  const deletedBackwards = await rejectionOf(collect(client.readStream(doomed, { direction: BACKWARDS, fromRevision: END })));
  assert.instance(deletedBackwards, StreamDeletedError);
});

test('22. forwards from revision 2 (inclusive), backwards from end, backwards from 2, maxCount limits', async () => {
  const stream = uniqueStream('numbers');
  await appendNumbered(stream, 5);
  assert.equal(revisions(await collect(client.readStream(stream, { fromRevision: 2n }))), [2n, 3n, 4n]);
  assert.equal(revisions(await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: END }))), [4n, 3n, 2n, 1n, 0n]);
  assert.equal(revisions(await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: 2n }))), [2n, 1n, 0n]);
  assert.equal(revisions(await collect(client.readStream(stream, { maxCount: 2 }))), [0n, 1n]);
  assert.equal(revisions(await collect(client.readStream(stream, { fromRevision: 1n, maxCount: 3 }))), [1n, 2n, 3n]);
  assert.equal(revisions(await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 2 }))), [4n, 3n]);
  assert.equal(revisions(await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: 3n, maxCount: 2 }))), [3n, 2n]);
  // Beyond the end, and forwards from the end: nothing (not stream-not-found).
  assert.equal(revisions(await collect(client.readStream(stream, { fromRevision: 5n }))), []);
  assert.equal(revisions(await collect(client.readStream(stream, { fromRevision: END }))), []);
  const data = (await collect(client.readStream(stream, { fromRevision: START, direction: FORWARDS }))).map(
    (resolved) => resolved.event!.data,
  );
  assert.equal(
    data,
    [0, 1, 2, 3, 4].map((n) => ({ n })),
  );
});

test('23. readAll forwards from a returned position P yields that event first; backwards from P excludes it', async () => {
  const stream = uniqueStream('positions');
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await client.appendToStream(stream, jsonEvent({ type: 'Step', data: { i } })));
  const [p0, p1, p2] = results.map((result) => result.position!);

  const forwards = await collect(client.readAll({ fromPosition: p1!, maxCount: 2 }));
  assert.equal(
    forwards.map((resolved) => resolved.event!.position),
    [p1, p2],
  );
  assert.equal(
    forwards.map((resolved) => resolved.event!.data),
    [{ i: 1 }, { i: 2 }],
  );

  const backwards = await collect(client.readAll({ fromPosition: p1!, direction: BACKWARDS, maxCount: 1 }));
  assert.equal(
    backwards.map((resolved) => resolved.event!.position),
    [p0],
  );

  // Backwards from the end starts with the newest record; from START backwards there is nothing.
  const newest = await collect(client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }));
  assert.equal(
    newest.map((resolved) => resolved.event!.position),
    [p2],
  );
  assert.equal(await collect(client.readAll({ fromPosition: START, direction: BACKWARDS, maxCount: 5 })), []);
  assert.equal(await collect(client.readAll({ fromPosition: END, maxCount: 5 })), []);
});

test('24. readAll from start holds the seeded system events first; positions strictly increase; one append is contiguous', async () => {
  const a = uniqueStream('contiguous-a');
  const b = uniqueStream('contiguous-b');
  // Concurrent appends over the one BatchAppend call: each append's events must still be adjacent.
  await Promise.all([
    client.appendToStream(
      a,
      Array.from({ length: 5 }, (_, i) => jsonEvent({ type: 'A', data: { i } })),
    ),
    client.appendToStream(
      b,
      Array.from({ length: 5 }, (_, i) => jsonEvent({ type: 'B', data: { i } })),
    ),
    client.appendToStream(
      a.replace('-a-', '-c-'),
      Array.from({ length: 5 }, (_, i) => jsonEvent({ type: 'C', data: { i } })),
    ),
  ]);

  const all = await collect(client.readAll());
  assert.equal(
    all.slice(0, 5).map((resolved) => [resolved.event!.streamId, resolved.event!.type]),
    [
      ['$epoch-information', '$epoch-information'],
      ['$user-admin', '$UserCreated'],
      ['$user-ops', '$UserCreated'],
      ['$users', '$User'],
      ['$users', '$User'],
    ],
  );
  for (let i = 1; i < all.length; i++) {
    assert.ok(all[i]!.event!.position!.commit > all[i - 1]!.event!.position!.commit, `position ${i} does not increase`);
    assert.is(all[i]!.event!.position!.commit, all[i]!.event!.position!.prepare);
    assert.is(all[i]!.commitPosition, all[i]!.event!.position!.commit);
  }
  for (const type of ['A', 'B', 'C']) {
    const indices = all.flatMap((resolved, i) => (resolved.event!.type === type ? [i] : []));
    assert.is(indices.length, 5);
    assert.is(indices.at(-1)! - indices[0]!, 4, `${type} events are not contiguous`);
    assert.equal(
      indices.map((i) => (all[i]!.event!.data as { i: number }).i),
      [0, 1, 2, 3, 4],
    );
  }
  assert.is(all.length, fixture.emulator.log.length);
});

test('25. setStreamMetadata/getStreamMetadata round-trip maxCount, truncateBefore, acl, custom keys', async () => {
  const stream = uniqueStream('meta');
  assert.equal(await client.getStreamMetadata(stream), { streamName: stream });

  const metadata = {
    maxCount: 10,
    maxAge: 3600,
    truncateBefore: 2,
    cacheControl: 60,
    acl: {
      readRoles: ['$admins', 'ops'],
      writeRoles: ['$admins'],
      deleteRoles: ['$admins'],
      metaReadRoles: ['$all'],
      metaWriteRoles: ['$admins'],
    },
    tenant: 'acme',
    nested: { flag: true, list: [1, 2] },
  };
  const written = await client.setStreamMetadata(stream, metadata);
  const read = await client.getStreamMetadata(stream);
  assert.is(read.streamName, stream);
  assert.equal(read.metadata, metadata);
  // A client quirk: it reports the metadata event's commit position as the "revision".
  assert.is(read.metastreamRevision, written.position!.commit);

  // The metadata stream holds one JSON $metadata event per write, with the server's key names.
  const raw = await collect(client.readStream(`$$${stream}`));
  assert.is(raw.length, 1);
  assert.is(raw[0]!.event!.type, '$metadata');
  assert.is(raw[0]!.event!.isJson, true);
  assert.equal(raw[0]!.event!.data, {
    $maxCount: 10,
    $maxAge: 3600,
    $tb: 2,
    $cacheControl: 60,
    $acl: { $r: ['$admins', 'ops'], $w: ['$admins'], $d: ['$admins'], $mr: ['$all'], $mw: ['$admins'] },
    tenant: 'acme',
    nested: { flag: true, list: [1, 2] },
  });

  // The newest write wins.
  await client.setStreamMetadata(stream, { maxCount: 3 });
  assert.equal((await client.getStreamMetadata(stream)).metadata, { maxCount: 3 });
});

test('26. $maxCount: 2 hides older events from readStream, not from readAll', async () => {
  const stream = uniqueStream('capped');
  await appendNumbered(stream, 5);
  await client.setStreamMetadata(stream, { maxCount: 2 });

  assert.equal(revisions(await collect(client.readStream(stream))), [3n, 4n]);
  assert.equal(revisions(await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: END }))), [4n, 3n]);
  assert.equal(revisions(await collect(client.readStream(stream, { fromRevision: 1n }))), [3n, 4n]);
  assert.equal(revisions(await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: 2n }))), []);

  const inAll = (await collect(client.readAll())).filter((resolved) => resolved.event!.streamId === stream);
  assert.equal(revisions(inAll), [0n, 1n, 2n, 3n, 4n]);

  // A new event moves the window.
  await appendNumbered(stream, 1);
  assert.equal(revisions(await collect(client.readStream(stream))), [4n, 5n]);
});

test('27. a manually appended binary $> event (data 0@s) read with resolveLinkTos → event = target, link = $>', async () => {
  const target = uniqueStream('target');
  const links = uniqueStream('links');
  await client.appendToStream(target, jsonEvent({ type: 'Targeted', data: { hello: 'world' } }));
  const linkEvent = binaryEvent({ type: '$>', data: Buffer.from(`0@${target}`) });
  const dangling = binaryEvent({ type: '$>', data: Buffer.from(`7@${target}`) });
  const appended = await client.appendToStream(links, [linkEvent, dangling]);

  const resolved = await collect(client.readStream(links, { resolveLinkTos: true }));
  assert.is(resolved.length, 2);
  assert.is(resolved[0]!.event!.type, 'Targeted');
  assert.is(resolved[0]!.event!.streamId, target);
  assert.is(resolved[0]!.event!.revision, 0n);
  assert.equal(resolved[0]!.event!.data, { hello: 'world' });
  assert.is(resolved[0]!.link!.type, '$>');
  assert.is(resolved[0]!.link!.id, linkEvent.id);
  assert.is(resolved[0]!.link!.streamId, links);
  assert.is(Buffer.from(resolved[0]!.link!.data as Uint8Array).toString(), `0@${target}`);
  // ReadEvent.commit_position is the link's (the record actually read), not the target's.
  assert.is(resolved[0]!.commitPosition, resolved[0]!.link!.position!.commit);
  assert.ok(resolved[0]!.event!.position!.commit < resolved[0]!.link!.position!.commit);
  // A link whose target does not exist comes back as the link alone.
  assert.is(resolved[1]!.event, undefined);
  assert.is(resolved[1]!.link!.id, dangling.id);
  assert.is(resolved[1]!.commitPosition, appended.position!.commit);

  const unresolved = await collect(client.readStream(links));
  assert.equal(
    unresolved.map((each) => [each.event!.type, each.event!.id, each.link]),
    [
      ['$>', linkEvent.id, undefined],
      ['$>', dangling.id, undefined],
    ],
  );

  const fromAll = (await collect(client.readAll({ resolveLinkTos: true }))).filter((each) => each.link?.streamId === links);
  assert.equal(
    fromAll.map((each) => each.event?.type),
    ['Targeted', undefined],
  );
});

test.run();
