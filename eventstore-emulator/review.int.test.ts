import {
  BACKWARDS,
  binaryEvent,
  END,
  FORWARDS,
  jsonEvent,
  persistentSubscriptionToStreamSettingsFromDefaults,
  START,
  StreamDeletedError,
  UnknownError,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collect } from './testing/client-reads';
import { uniqueStream } from './testing/events';
import { rejectionOf } from '../platform/testing/rejection';
import { startEmulatorWithClient } from './testing/fixture';

// Review findings: behaviour the checklist tests did not pin down, each checked against
// EventStoreDB 24.10 through the real client.
const fixture = await startEmulatorWithClient();
const { client } = fixture;
test.after(() => fixture.close());

const link = (target: string) => binaryEvent({ type: '$>', data: Buffer.from(target, 'utf8') });

test('a link to an event of a soft-deleted stream does not resolve', async () => {
  const target = uniqueStream('target');
  const links = uniqueStream('links');
  await client.appendToStream(target, [jsonEvent({ type: 'Happened', data: {} })]);
  await client.appendToStream(links, [link(`0@${target}`)]);
  await client.deleteStream(target);

  const [read] = await collect<ResolvedEvent>(client.readStream(links, { resolveLinkTos: true }));
  assert.is(read!.event, undefined);
  assert.is(read!.link?.type, '$>');
});

test('a link to an event hidden by $maxCount does not resolve', async () => {
  const target = uniqueStream('target');
  const links = uniqueStream('links');
  await client.appendToStream(target, [
    jsonEvent({ type: 'A', data: {} }),
    jsonEvent({ type: 'B', data: {} }),
    jsonEvent({ type: 'C', data: {} }),
  ]);
  await client.setStreamMetadata(target, { maxCount: 1 });
  await client.appendToStream(links, [link(`0@${target}`), link(`2@${target}`)]);

  const read = await collect<ResolvedEvent>(client.readStream(links, { resolveLinkTos: true }));
  assert.is(read[0]!.event, undefined);
  assert.is(read[1]!.event?.type, 'C');
});

test('an idempotent `any` append answers the revision of its last event, not the highest', async () => {
  const stream = uniqueStream('order');
  const a = jsonEvent({ type: 'A', data: {} });
  const b = jsonEvent({ type: 'B', data: {} });
  await client.appendToStream(stream, [a]);
  await client.appendToStream(stream, [b]);
  // Every id is already in the stream, so the repeat is idempotent; the server answers the
  // revision of the batch's last event (A, at 0), not the highest one.
  const repeat = await client.appendToStream(stream, [b, a]);
  assert.is(repeat.nextExpectedRevision, 0n);
  const events = await collect<ResolvedEvent>(client.readStream(stream, { fromRevision: START }));
  assert.is(events.length, 2);
});

test('recreating a soft-deleted stream writes the new events first, then the $tb metadata', async () => {
  const stream = uniqueStream('order');
  await client.appendToStream(stream, [jsonEvent({ type: 'Old', data: {} })]);
  await client.deleteStream(stream);
  const recreated = await client.appendToStream(stream, [jsonEvent({ type: 'New', data: {} })]);

  // The server's writer appends the events, then soft-undeletes the stream with a second write.
  const [last, beforeLast] = await collect<ResolvedEvent>(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 2 }));
  assert.is(beforeLast!.event?.streamId, stream);
  assert.is(beforeLast!.event?.type, 'New');
  assert.equal(recreated.position, beforeLast!.event?.position);
  assert.is(last!.event?.streamId, `$$${stream}`);
  assert.equal(last!.event?.data, { $tb: 1 });
  const events = await collect<ResolvedEvent>(client.readStream(stream));
  assert.equal(
    events.map((each) => each.event?.type),
    ['New'],
  );
});

test('setting metadata on a soft-deleted stream keeps its old events hidden', async () => {
  const stream = uniqueStream('order');
  await client.appendToStream(stream, [jsonEvent({ type: 'Old', data: {} }), jsonEvent({ type: 'Old', data: {} })]);
  await client.deleteStream(stream);
  await client.setStreamMetadata(stream, { maxCount: 5 });

  // The server follows a metadata write to a soft-deleted stream with one that sets $tb past the
  // last event (`SoftUndeleteMetastream`): the stream exists again, with nothing visible.
  const events = await collect<ResolvedEvent>(client.readStream(stream));
  assert.equal(events, []);
  const { metadata } = await client.getStreamMetadata(stream);
  assert.equal(metadata, { maxCount: 5, truncateBefore: 2 });
  const next = await client.appendToStream(stream, [jsonEvent({ type: 'New', data: {} })], { expectedRevision: 1n });
  assert.is(next.nextExpectedRevision, 2n);
  const after = await collect<ResolvedEvent>(client.readStream(stream, { direction: FORWARDS, fromRevision: START }));
  assert.equal(
    after.map((each) => each.event?.type),
    ['New'],
  );
});

test('errors naming a non-ASCII stream or group fail the call as UNKNOWN instead of crashing the emulator', async () => {
  const stream = uniqueStream('café');
  await client.appendToStream(stream, [jsonEvent({ type: 'A', data: {} })]);
  await client.tombstoneStream(stream);

  // BatchAppend reports the stream in the message body, so that works as on the server.
  assert.instance(await rejectionOf(client.appendToStream(stream, [jsonEvent({ type: 'A', data: {} })])), StreamDeletedError);
  // Everything else names it in trailers, which must be printable ASCII.
  const credentials = { username: 'admin', password: 'changeit' };
  assert.instance(await rejectionOf(client.appendToStream(stream, [jsonEvent({ type: 'A', data: {} })], { credentials })), UnknownError);
  assert.instance(await rejectionOf(collect(client.readStream(stream))), UnknownError);
  assert.instance(await rejectionOf(client.getPersistentSubscriptionToStreamInfo('orders', 'grüppe')), UnknownError);
  const subscription = client.subscribeToPersistentSubscriptionToStream('orders', 'grüppe');
  assert.instance(await rejectionOf(collect(subscription)), UnknownError);

  // Still serving.
  const next = await client.appendToStream(uniqueStream('order'), [jsonEvent({ type: 'A', data: {} })]);
  assert.is(next.nextExpectedRevision, 0n);
});

test('an empty append to a soft-deleted stream recreates it with nothing visible', async () => {
  const stream = uniqueStream('order');
  await client.appendToStream(stream, [jsonEvent({ type: 'Old', data: {} })]);
  await client.deleteStream(stream);
  // The server's commit check passes (`any`), and a passing write soft-undeletes the stream even
  // when it carries no events.
  await client.appendToStream(stream, []);
  assert.equal(await collect<ResolvedEvent>(client.readStream(stream)), []);
  const { metadata } = await client.getStreamMetadata(stream);
  assert.equal(metadata, { truncateBefore: 1 });
});

test('the metadata stream of a tombstoned stream reads as deleted', async () => {
  const stream = uniqueStream('order');
  await client.setStreamMetadata(stream, { maxCount: 5 });
  await client.appendToStream(stream, [jsonEvent({ type: 'A', data: {} })]);
  await client.tombstoneStream(stream);

  // A metastream shares its stream's tombstone (the server's `GetStreamLastEventNumberCached`).
  assert.instance(await rejectionOf(collect(client.readStream(`$$${stream}`))), StreamDeletedError);
  assert.instance(await rejectionOf(client.getStreamMetadata(stream)), StreamDeletedError);
});

test('updating a connected group with a non-ASCII name applies and ends its subscribers', async () => {
  const stream = uniqueStream('orders');
  const settings = persistentSubscriptionToStreamSettingsFromDefaults({ startFrom: START });
  await client.appendToStream(stream, [jsonEvent({ type: 'A', data: {} })]);
  await client.createPersistentSubscriptionToStream(stream, 'grüppe', settings);
  const subscription = client.subscribeToPersistentSubscriptionToStream(stream, 'grüppe');
  const ended = rejectionOf(collect(subscription));
  await new Promise<void>((resolve) => subscription.once('data', () => resolve()));

  // Dropping the connection must not throw half-way through the update (leaving the old settings
  // and a subscriber that silently receives nothing ever again).
  await client.updatePersistentSubscriptionToStream(stream, 'grüppe', { ...settings, maxRetryCount: 3 });
  assert.instance(await ended, UnknownError);
  const info = await client.getPersistentSubscriptionToStreamInfo(stream, 'grüppe');
  assert.is(info.settings.maxRetryCount, 3);
});

test.run();
