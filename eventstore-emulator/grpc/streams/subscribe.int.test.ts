import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  END,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  START,
  streamNameFilter,
  StreamDeletedError,
  type AllStreamSubscription,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient } from '../../testing/fixture';
import { eventually } from '../../../platform/testing/eventually';
import { collect } from '../../testing/client-reads';
import { numbered, uniqueStream } from '../../testing/events';
import { SubscriptionRecorder } from '../../testing/subscription-recorder';

// Spec section 5, items 32–41, through the real client.
const fixture = await startEmulatorWithClient();
const { client } = fixture;
test.after(() => fixture.close());

const TOMBSTONE_REVISION = 9223372036854775807n;

/** Log subscribers currently parked on the log, waiting for the next append. */
function parkedListeners(): number {
  return fixture.emulator.log.appendListenerCount;
}

const positionOf = (resolved: ResolvedEvent) => resolved.event!.position!.commit;

/** Entries after `caughtUp`, as labels. */
function afterCaughtUp(recorder: SubscriptionRecorder): string[] {
  const labels = recorder.labels();
  return labels.slice(labels.indexOf('caughtUp') + 1);
}

test('32. subscribeToStream from start: confirmation, 4 old, caughtUp once, 4 live', async () => {
  const stream = uniqueStream('sub-start');
  await client.appendToStream(stream, numbered(4, 'Old'));
  const subscription = client.subscribeToStream(stream, { fromRevision: START });
  const recorder = new SubscriptionRecorder(subscription);
  await recorder.until((r) => r.count('caughtUp') === 1);
  for (let i = 0; i < 4; i++) await client.appendToStream(stream, jsonEvent({ type: 'Live', data: { n: 4 + i } }));
  await recorder.until((r) => r.events.length === 8);
  await sleep(50);
  await subscription.unsubscribe();

  assert.equal(recorder.labels(), ['confirmation', 'Old@0', 'Old@1', 'Old@2', 'Old@3', 'caughtUp', 'Live@4', 'Live@5', 'Live@6', 'Live@7']);
  assert.equal(
    recorder.events.map((resolved) => resolved.event!.data),
    [0, 1, 2, 3, 4, 5, 6, 7].map((n) => ({ n })),
  );
  assert.ok(recorder.events.every((resolved) => resolved.event!.streamId === stream));
  assert.type(subscription.id, 'string');
  assert.match(subscription.id!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});

test('33. from revision 2 on a 4-event stream: one catch-up event (revision 3) before caughtUp; from end: only new events', async () => {
  const stream = uniqueStream('sub-from');
  await client.appendToStream(stream, numbered(4));
  const fromTwoSubscription = client.subscribeToStream(stream, { fromRevision: 2n });
  const fromTwo = new SubscriptionRecorder(fromTwoSubscription);
  const fromEnd = client.subscribeToStream(stream, { fromRevision: END });
  const fromEndRecorder = new SubscriptionRecorder(fromEnd);
  // Beyond the end: nothing until the stream passes that revision.
  const fromTenSubscription = client.subscribeToStream(stream, { fromRevision: 10n });
  const fromTen = new SubscriptionRecorder(fromTenSubscription);
  await Promise.all([fromTwo, fromEndRecorder, fromTen].map((recorder) => recorder.until((r) => r.count('caughtUp') === 1)));
  await client.appendToStream(stream, jsonEvent({ type: 'New', data: { n: 4 } }));
  await Promise.all([fromTwo, fromEndRecorder].map((recorder) => recorder.until((r) => r.labels().includes('New@4'))));
  await sleep(50);

  assert.equal(fromTwo.labels(), ['confirmation', 'Numbered@3', 'caughtUp', 'New@4']);
  assert.equal(fromEndRecorder.labels(), ['confirmation', 'caughtUp', 'New@4']);
  assert.equal(fromTen.labels(), ['confirmation', 'caughtUp']);
  await Promise.all([fromTwoSubscription, fromEnd, fromTenSubscription].map((subscription) => subscription.unsubscribe()));
});

test('34. absent stream: confirmation + caughtUp, then the first event when written', async () => {
  const stream = uniqueStream('sub-absent');
  const subscription = client.subscribeToStream(stream, { fromRevision: START });
  const recorder = new SubscriptionRecorder(subscription);
  await recorder.until((r) => r.count('caughtUp') === 1);
  await sleep(50);
  assert.equal(recorder.labels(), ['confirmation', 'caughtUp']);
  await client.appendToStream(stream, jsonEvent({ type: 'First', data: {} }));
  await recorder.until((r) => r.events.length === 1);
  assert.equal(recorder.labels(), ['confirmation', 'caughtUp', 'First@0']);

  // A soft-deleted stream behaves the same: nothing until it is recreated, then only new events.
  const deleted = uniqueStream('sub-soft-deleted');
  await client.appendToStream(deleted, numbered(3));
  await client.deleteStream(deleted);
  const deletedSubscription = client.subscribeToStream(deleted, { fromRevision: START });
  const deletedRecorder = new SubscriptionRecorder(deletedSubscription);
  await deletedRecorder.until((r) => r.count('caughtUp') === 1);
  await client.appendToStream(deleted, jsonEvent({ type: 'Recreated', data: {} }));
  await deletedRecorder.until((r) => r.events.length === 1);
  assert.equal(deletedRecorder.labels(), ['confirmation', 'caughtUp', 'Recreated@3']);
  await Promise.all([subscription, deletedSubscription].map((each) => each.unsubscribe()));
});

test('35. tombstone during a stream subscription: $streamDeleted delivered, then StreamDeletedError', async () => {
  const stream = uniqueStream('sub-tombstone');
  await client.appendToStream(stream, numbered(2));
  const recorder = new SubscriptionRecorder(client.subscribeToStream(stream, { fromRevision: START }));
  await recorder.until((r) => r.count('caughtUp') === 1);
  await client.tombstoneStream(stream);
  await recorder.until((r) => r.error !== undefined);

  assert.equal(recorder.labels(), [
    'confirmation',
    'Numbered@0',
    'Numbered@1',
    'caughtUp',
    `$streamDeleted@${TOMBSTONE_REVISION}`,
    'error:StreamDeletedError',
  ]);
  const tombstone = recorder.events.at(-1)!.event!;
  assert.is(tombstone.streamId, stream);
  assert.is(tombstone.revision, TOMBSTONE_REVISION);
  assert.is((recorder.error as StreamDeletedError).streamName, stream);

  // Subscribing to an already tombstoned stream: confirmed, then the same error.
  const late = new SubscriptionRecorder(client.subscribeToStream(stream, { fromRevision: START }));
  await late.until((r) => r.error !== undefined);
  assert.equal(late.labels(), ['confirmation', 'error:StreamDeletedError']);
  assert.is((late.error as StreamDeletedError).streamName, stream);
});

test('36. subscribeToAll from start delivers every record, system ones included, in readAll order; from P starts after P', async () => {
  const stream = uniqueStream('sub-all');
  await client.appendToStream(stream, numbered(3));
  await client.setStreamMetadata(stream, { maxCount: 10 });
  const snapshot = await collect(client.readAll());
  const key = (resolved: ResolvedEvent) =>
    `${resolved.event!.streamId}/${resolved.event!.type}/${resolved.event!.id}/${positionOf(resolved)}`;

  const fromStart = client.subscribeToAll({ fromPosition: START });
  const startRecorder = new SubscriptionRecorder(fromStart);
  const middle = snapshot[3]!.event!.position!;
  const fromMiddle = client.subscribeToAll({ fromPosition: middle });
  const middleRecorder = new SubscriptionRecorder(fromMiddle);
  const fromEnd = client.subscribeToAll({ fromPosition: END });
  const endRecorder = new SubscriptionRecorder(fromEnd);
  await Promise.all([startRecorder, middleRecorder, endRecorder].map((recorder) => recorder.until((r) => r.count('caughtUp') === 1)));

  assert.is(startRecorder.labels()[0], 'confirmation');
  assert.equal(startRecorder.events.map(key), snapshot.map(key));
  assert.ok(startRecorder.events.some((resolved) => resolved.event!.type === '$epoch-information'));
  assert.ok(startRecorder.events.some((resolved) => resolved.event!.type === '$metadata'));
  assert.equal(middleRecorder.events.map(key), snapshot.slice(4).map(key));
  assert.equal(endRecorder.labels(), ['confirmation', 'caughtUp']);

  const live = await client.appendToStream(stream, jsonEvent({ type: 'LiveAll', data: {} }));
  await Promise.all(
    [startRecorder, middleRecorder, endRecorder].map((recorder) => recorder.until((r) => r.labels().includes('LiveAll@3'))),
  );
  for (const recorder of [startRecorder, middleRecorder, endRecorder]) {
    assert.equal(afterCaughtUp(recorder), ['LiveAll@3']);
    assert.equal(recorder.events.at(-1)!.event!.position, live.position);
    assert.is(recorder.count('caughtUp'), 1);
  }
  await Promise.all([fromStart, fromMiddle, fromEnd].map((subscription) => subscription.unsubscribe()));
});

test('37. 10 000 appends racing the catch-up→live switch: no gap, no duplicate', async () => {
  const stream = uniqueStream('race');
  const seeded = 1000;
  const raced = 10_000;
  const total = seeded + raced;
  await client.appendToStream(stream, numbered(seeded, 'Seeded'));

  // Subscribers join at several points while the appends run, so their catch-up→live switches
  // land in the middle of the race (appends in small concurrent waves leave them time to catch up).
  interface Joined {
    subscription: ReturnType<typeof client.subscribeToStream> | ReturnType<typeof client.subscribeToAll>;
    recorder: SubscriptionRecorder;
    appendedAtCaughtUp: number;
  }
  const joined: Joined[] = [];
  let appended = 0;
  const join = (subscription: Joined['subscription']) => {
    const entry: Joined = { subscription, recorder: new SubscriptionRecorder(subscription), appendedAtCaughtUp: -1 };
    subscription.on('caughtUp', () => (entry.appendedAtCaughtUp = appended));
    joined.push(entry);
  };
  const wave = 10;
  const JOIN_AT = [0, 1000, 3000];
  for (let offset = 0; offset < raced; offset += wave) {
    if (JOIN_AT.includes(offset)) {
      join(client.subscribeToStream(stream, { fromRevision: START }));
      join(client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: [stream] }) }));
    }
    await Promise.all(
      numbered(wave, 'Raced', seeded + offset).map(async (event) => {
        await client.appendToStream(stream, event);
        appended++;
      }),
    );
  }

  await Promise.all(joined.map(({ recorder }) => recorder.until((r) => r.events.length >= total, 60_000)));
  await sleep(100);

  const expectedIds = (await collect(client.readStream(stream))).map((resolved) => resolved.event!.id);
  assert.is(expectedIds.length, total);
  for (const { recorder } of joined) {
    assert.is(recorder.error, undefined);
    assert.is(recorder.count('confirmation'), 1);
    assert.is(recorder.count('caughtUp'), 1);
    const events = recorder.events;
    assert.is(events.length, total);
    // Exact sequence: revision i at index i, the same ids in the same order as a plain read.
    const wrongRevision = events.findIndex((resolved, i) => resolved.event!.revision !== BigInt(i));
    assert.is(wrongRevision, -1, `revision out of place at index ${wrongRevision}`);
    const wrongId = events.findIndex((resolved, i) => resolved.event!.id !== expectedIds[i]);
    assert.is(wrongId, -1, `id out of place at index ${wrongId}`);
    assert.is(new Set(events.map((resolved) => (resolved.event!.data as { n: number }).n)).size, total);
  }
  // The race really happened: subscribers went live while appends were still coming.
  const midRace = joined.filter(({ appendedAtCaughtUp }) => appendedAtCaughtUp >= 0 && appendedAtCaughtUp < raced);
  assert.ok(midRace.length >= 2, `caught up after ${joined.map(({ appendedAtCaughtUp }) => appendedAtCaughtUp).join(', ')} appends`);
  await Promise.all(joined.map(({ subscription }) => subscription.unsubscribe()));
});

test('38. unsubscribe() ends the iterator cleanly and the server releases the subscription', async () => {
  const stream = uniqueStream('sub-unsubscribe');
  await client.appendToStream(stream, numbered(2));
  await sleep(50);
  const baseline = parkedListeners();

  const toStream = client.subscribeToStream(stream, { fromRevision: START });
  const toAll = client.subscribeToAll({ fromPosition: END, filter: streamNameFilter({ prefixes: [stream] }) });
  const allRecorder = new SubscriptionRecorder(toAll);
  const seen: bigint[] = [];
  let caughtUp = false;
  toStream.on('caughtUp', () => (caughtUp = true));
  const iteration = (async () => {
    for await (const resolved of toStream) {
      seen.push(resolved.event!.revision);
      if (resolved.event!.revision === 2n) await toStream.unsubscribe();
    }
    return 'ended';
  })();
  await eventually('both subscriptions to catch up', () => caughtUp && allRecorder.count('caughtUp') === 1);
  await eventually('two parked subscriptions', () => parkedListeners() === baseline + 2);

  await client.appendToStream(stream, jsonEvent({ type: 'Last', data: {} }));
  assert.is(await iteration, 'ended');
  assert.equal(seen, [0n, 1n, 2n]);
  await eventually('the stream subscription to be released', () => parkedListeners() === baseline + 1);

  await allRecorder.until((r) => r.events.length === 1);
  await toAll.unsubscribe();
  await eventually('the $all subscription to be released', () => parkedListeners() === baseline);
  // Appends after the unsubscribes reach nobody and break nothing.
  await client.appendToStream(stream, numbered(3));
  await sleep(50);
  assert.is(allRecorder.events.length, 1);
  assert.is(allRecorder.error, undefined);

  // Stopping the emulator releases subscriptions that are still open.
  const other = await startEmulatorWithClient();
  const otherLog = other.emulator.log;
  const otherBaseline = otherLog.appendListenerCount;
  const open = [
    new SubscriptionRecorder(other.client.subscribeToAll({ fromPosition: START })),
    new SubscriptionRecorder(other.client.subscribeToStream('anything', { fromRevision: START })),
  ];
  await Promise.all(open.map((recorder) => recorder.until((r) => r.count('caughtUp') === 1)));
  assert.is(otherLog.appendListenerCount, otherBaseline + 2);
  await other.emulator.stop();
  assert.ok(otherLog.appendListenerCount <= otherBaseline);
  await other.close();
});

test('39. stream-name and event-type filters (prefix and regex) select exactly the expected events; excludeSystemEvents() drops system events', async () => {
  const tag = randomUUID().slice(0, 8);
  const appendTo = async (stream: string, type: string) =>
    (await client.appendToStream(stream, jsonEvent({ type, data: { stream, type } }))).position!;
  const alpha1 = `${tag}-alpha-1`;
  const alpha2 = `${tag}-alpha-2`;
  const beta1 = `${tag}-beta-1`;
  const other = `other-${tag}`;
  const written: Array<{ stream: string; type: string }> = [];
  for (let round = 0; round < 3; round++) {
    for (const [stream, type] of [
      [alpha1, `${tag}TypeX`],
      [beta1, `${tag}TypeX`],
      [alpha2, `${tag}TypeY`],
      [other, `Other${tag}`],
    ] as const) {
      await appendTo(stream, type);
      written.push({ stream, type });
    }
  }
  const typeOf = (stream: string) =>
    ({ [alpha1]: `${tag}TypeX`, [beta1]: `${tag}TypeX`, [alpha2]: `${tag}TypeY`, [other]: `Other${tag}` })[stream]!;
  const cases = [
    {
      filter: streamNameFilter({ prefixes: [`${tag}-alpha-`, `other-${tag}`] }),
      selects: [alpha1, alpha2, other],
      liveMiss: beta1,
      liveMatch: alpha2,
    },
    { filter: streamNameFilter({ regex: `^${tag}-(alpha|beta)-1$` }), selects: [alpha1, beta1], liveMiss: alpha2, liveMatch: beta1 },
    { filter: eventTypeFilter({ prefixes: [`${tag}TypeX`] }), selects: [alpha1, beta1], liveMiss: alpha2, liveMatch: alpha1 },
    { filter: eventTypeFilter({ regex: `^Other${tag}$` }), selects: [other], liveMiss: alpha1, liveMatch: other },
  ];
  for (const { filter, selects, liveMiss, liveMatch } of cases) {
    const subscription = client.subscribeToAll({ fromPosition: START, filter });
    const recorder = new SubscriptionRecorder(subscription);
    await recorder.until((r) => r.count('caughtUp') === 1);
    const delivered = recorder.events.map((resolved) => `${resolved.event!.streamId}:${resolved.event!.type}`);
    const expected = written.filter((w) => selects.includes(w.stream)).map((w) => `${w.stream}:${w.type}`);
    assert.equal(delivered, expected, `catch-up of ${JSON.stringify(filter)}`);

    // Live: the non-matching append goes first, so delivering it would show before the match.
    for (const stream of [liveMiss, liveMatch]) {
      await appendTo(stream, typeOf(stream));
      written.push({ stream, type: typeOf(stream) });
    }
    await recorder.until((r) => r.events.length === delivered.length + 1);
    await sleep(30);
    assert.equal(afterCaughtUp(recorder), [`${typeOf(liveMatch)}@${written.filter((w) => w.stream === liveMatch).length - 1}`]);
    assert.is(recorder.events.at(-1)!.event!.streamId, liveMatch);
    await subscription.unsubscribe();
  }

  // System records of each kind the checklist names.
  const metaStream = uniqueStream('sys-meta');
  await client.setStreamMetadata(metaStream, { maxCount: 5 });
  const doomed = uniqueStream('sys-doomed');
  await client.appendToStream(doomed, numbered(1, 'Doomed'));
  await client.tombstoneStream(doomed);
  await client.appendToStream('$persistentSubscriptionConfig', jsonEvent({ type: '$PersistentConfig', data: { entries: [] } }));
  const finish = await client.appendToStream(uniqueStream('sys-finish'), jsonEvent({ type: 'FinishSystemTest', data: {} }));

  const everything = await collect(client.readAll());
  for (const type of ['$metadata', '$streamDeleted', '$PersistentConfig', '$epoch-information']) {
    assert.ok(
      everything.some((resolved) => resolved.event!.type === type),
      `readAll holds ${type}`,
    );
  }
  const subscription = client.subscribeToAll({ fromPosition: START, filter: excludeSystemEvents() });
  const recorder = new SubscriptionRecorder(subscription);
  await recorder.until((r) => r.count('caughtUp') === 1);
  await subscription.unsubscribe();
  const ids = (events: ResolvedEvent[]) => events.map((resolved) => resolved.event!.id);
  assert.equal(ids(recorder.events), ids(everything.filter((resolved) => !resolved.event!.type.startsWith('$'))));
  assert.ok(recorder.events.every((resolved) => !resolved.event!.type.startsWith('$')));
  assert.is(recorder.events.at(-1)!.event!.position!.commit, finish.position!.commit);
  assert.ok(recorder.events.some((resolved) => resolved.event!.type === 'Doomed'));

  // An invalid regex is the caller's error (INVALID_ARGUMENT), and the emulator keeps serving.
  const invalid = new SubscriptionRecorder(client.subscribeToAll({ filter: streamNameFilter({ regex: '(unclosed' }) }));
  await invalid.until((r) => r.error !== undefined);
  assert.match(invalid.error!.message, /^3 INVALID_ARGUMENT: /);
  assert.equal(invalid.labels(), ['error:UnknownError']);
  assert.is((await collect(client.readStream(alpha1))).length, written.filter((w) => w.stream === alpha1).length);
});

test('40. checkpoint case of 3.8: 6–7 checkpointReached calls, bigint positions, never decreasing, never overlapping a slow handler', async () => {
  const streamA = uniqueStream('checkpoints-a');
  const streamB = uniqueStream('checkpoints-b');
  const marker = await client.appendToStream(streamB, jsonEvent({ type: 'marker_event', data: { message: 'mark my words' } }));
  await client.appendToStream(streamA, numbered(8));

  const events: ResolvedEvent[] = [];
  const checkpoints: Position[] = [];
  const timeline: Array<'event' | 'checkpoint'> = [];
  let handlerActive = false;
  let overlaps = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const subscription = client.subscribeToAll({
    fromPosition: marker.position!,
    filter: excludeSystemEvents({
      checkpointInterval: 2,
      async checkpointReached(_: AllStreamSubscription, position: Position) {
        if (handlerActive) overlaps++;
        checkpoints.push(position);
        timeline.push('checkpoint');
        handlerActive = true;
        await sleep(100);
        handlerActive = false;
      },
    }),
  });
  const recorder = new SubscriptionRecorder(subscription);
  subscription.on('data', (resolved: ResolvedEvent) => {
    if (handlerActive) overlaps++;
    events.push(resolved);
    timeline.push('event');
    if (resolved.event?.type === 'checkpoints-finish') finished();
  });

  for (let i = 0; i < 18; i++) {
    await client.appendToStream(streamA, numbered(20));
    await sleep(10);
  }
  await client.appendToStream(streamA, [
    ...numbered(15),
    jsonEvent({ type: 'checkpoints-finish', data: { message: 'lets wrap this up' } }),
  ]);
  await done;
  await subscription.unsubscribe();

  assert.is(recorder.error, undefined);
  assert.is(recorder.count('confirmation'), 1);
  // 8 before subscribing, 376 after.
  assert.is(events.length, 384);
  assert.is(overlaps, 0);
  assert.ok(checkpoints.length >= 6 && checkpoints.length <= 7, `${checkpoints.length} checkpoints`);
  for (const [i, { commit, prepare }] of checkpoints.entries()) {
    assert.is(typeof commit, 'bigint');
    assert.is(typeof prepare, 'bigint');
    if (i > 0) assert.ok(commit >= checkpoints[i - 1]!.commit, 'checkpoints never decrease');
  }
  // Each checkpoint is at or past every event delivered before it, and before every event after it.
  let delivered = 0;
  let checkpointIndex = 0;
  for (const entry of timeline) {
    if (entry === 'event') {
      if (checkpointIndex > 0)
        assert.ok(positionOf(events[delivered]!) > checkpoints[checkpointIndex - 1]!.commit, 'an event at or before a checkpoint');
      delivered++;
    } else {
      if (delivered > 0)
        assert.ok(checkpoints[checkpointIndex]!.commit >= positionOf(events[delivered - 1]!), 'a checkpoint behind a delivered event');
      checkpointIndex++;
    }
  }
  // The catch-up checkpoint comes at the end of catch-up: after the 8 events, before caughtUp.
  const labels = recorder.labels();
  assert.is(labels.indexOf('caughtUp') >= 9, true);
});

test('41. resuming subscribeToAll from any checkpoint repeats nothing and misses nothing', async () => {
  const tag = randomUUID().slice(0, 8);
  const matching = `${tag}-match`;
  const skipped = `${tag}-skip`;
  const marker = await client.appendToStream(skipped, jsonEvent({ type: 'Marker', data: {} }));
  // Interleaved, so checkpoints land both on delivered events and on skipped records.
  const appendInterleaved = async (count: number, offset: number) => {
    const positions: bigint[] = [];
    for (let i = offset; i < offset + count; i++) {
      const result = await client.appendToStream(i % 3 === 0 ? matching : skipped, jsonEvent({ type: 'Mixed', data: { i } }));
      positions.push(result.position!.commit);
    }
    return positions;
  };
  const catchUpPositions = await appendInterleaved(60, 0);

  // Window 4 × multiplier 1: a checkpoint every 4 records considered.
  const filter = () =>
    streamNameFilter({ prefixes: [matching], maxSearchWindow: 4, checkpointInterval: 1, checkpointReached: onCheckpoint });
  const checkpoints: bigint[] = [];
  const timeline: string[] = [];
  function onCheckpoint(_: AllStreamSubscription, position: Position) {
    checkpoints.push(position.commit);
    timeline.push(`checkpoint:${position.commit}`);
    return Promise.resolve();
  }
  const subscription = client.subscribeToAll({ fromPosition: marker.position!, filter: filter() });
  const recorder = new SubscriptionRecorder(subscription);
  subscription.on('caughtUp', () => timeline.push('caughtUp'));
  await recorder.until((r) => r.count('caughtUp') === 1);
  const catchUpCheckpoints = [...checkpoints];
  const livePositions = await appendInterleaved(30, 60);
  await recorder.until((r) => r.events.length === 30);
  await eventually('the live checkpoints', () => checkpoints.length === catchUpCheckpoints.length + 7);
  await subscription.unsubscribe();

  // Exact counting (spec 3.8): catch-up checkpoints at every 4th record after the start; the
  // end-of-catch-up one would repeat the last of them and is dropped; live counting restarts
  // at the switch.
  const everyFourth = (positions: bigint[]) => positions.filter((_, i) => (i + 1) % 4 === 0);
  assert.equal(catchUpCheckpoints, everyFourth(catchUpPositions));
  assert.equal(checkpoints.slice(catchUpCheckpoints.length), everyFourth(livePositions));
  assert.is(timeline.indexOf('caughtUp'), catchUpCheckpoints.length);
  const eventPositions = recorder.events.map(positionOf);
  assert.ok(
    checkpoints.some((position) => !eventPositions.includes(position)),
    'some checkpoints are on skipped records',
  );
  assert.ok(
    checkpoints.some((position) => eventPositions.includes(position)),
    'some checkpoints are on delivered events',
  );

  for (const checkpoint of checkpoints) {
    const resumed = client.subscribeToAll({
      fromPosition: { commit: checkpoint, prepare: checkpoint },
      filter: streamNameFilter({ prefixes: [matching] }),
    });
    const resumedRecorder = new SubscriptionRecorder(resumed);
    await resumedRecorder.until((r) => r.count('caughtUp') === 1);
    await resumed.unsubscribe();
    assert.equal(
      resumedRecorder.events.map(positionOf),
      eventPositions.filter((position) => position > checkpoint),
      `resumed from ${checkpoint}`,
    );
  }
});

test.run();
