import {
  END,
  jsonEvent,
  PersistentSubscriptionFailedError,
  persistentSubscriptionToAllSettingsFromDefaults,
  persistentSubscriptionToStreamSettingsFromDefaults,
  START,
  streamNameFilter,
  type Position,
} from '@eventstore/db-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient } from '../../testing/fixture';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../../../platform/testing/eventually';
import { confirmed, consume } from '../../testing/persistent-subscriptions';
import { numbered, uniqueStream } from '../../testing/events';
import { rejectionOf } from '../../../platform/testing/rejection';

// Spec section 5, items 55 and 57 (info, `$all` groups), through the real client.
const fixture = await startEmulatorWithClient({ persistentTickMs: 100 });
const { client } = fixture;
test.after(() => fixture.close());

test('55. info: settings deep-equal the created ones; connectionName; checkpoint and known revisions after 500 acks and 2 s', async () => {
  const stream = uniqueStream('info');
  const created = {
    start: persistentSubscriptionToStreamSettingsFromDefaults({ startFrom: START }),
    end: persistentSubscriptionToStreamSettingsFromDefaults({ startFrom: END, consumerStrategyName: 'Pinned', maxSubscriberCount: 3 }),
    revision: persistentSubscriptionToStreamSettingsFromDefaults({
      startFrom: 3n,
      resolveLinkTos: true,
      extraStatistics: true,
      messageTimeout: 1234,
      maxRetryCount: 7,
      checkPointAfter: 3456,
      checkPointLowerBound: 11,
      checkPointUpperBound: 999,
      liveBufferSize: 321,
      readBatchSize: 17,
      historyBufferSize: 123,
      consumerStrategyName: 'DispatchToSingle',
    }),
  };
  for (const [group, settings] of Object.entries(created)) {
    await client.createPersistentSubscriptionToStream(stream, group, settings);
    const info = await client.getPersistentSubscriptionToStreamInfo(stream, group);
    assert.equal(info.settings, settings, group);
    assert.is(info.eventSource, stream);
    assert.is(info.groupName, group);
  }

  await client.appendToStream(stream, numbered(500));
  const subscription = client.subscribeToPersistentSubscriptionToStream(stream, 'start');
  let acked = 0;
  const done = consume(
    subscription,
    async (event) => {
      await subscription.ack(event);
      acked++;
    },
    20_000,
  );
  await eventually('500 acks', () => acked === 500);
  await sleep(2200);

  const info = await client.getPersistentSubscriptionToStreamInfo(stream, 'start');
  assert.is(info.connections.length, 1);
  assert.is(info.connections[0]!.connectionName, client.connectionName);
  assert.is(info.connections[0]!.totalItems, 500n);
  assert.is(info.connections[0]!.availableSlots, 10);
  assert.is(info.stats.lastCheckpointedEventRevision, 499n);
  assert.is(info.stats.lastKnownEventRevision, 499n);
  assert.is(info.stats.totalItems, 500n);
  assert.is(info.status, 'Live');
  await subscription.unsubscribe();
  await done;

  // The checkpoint is a record in the group's checkpoint stream, as on a real node.
  const checkpointStream = `$persistentsubscription-${stream}::start-checkpoint`;
  const log = fixture.emulator.log;
  const last = log.streamRecord(checkpointStream, log.currentRevision(checkpointStream))!;
  assert.is(last.type, '$SubscriptionCheckpoint');
  assert.is(Buffer.from(last.data).toString('utf8'), '"499"');
});

test('57. $all group with a stream-prefix filter from start: only matching events at their append positions', async () => {
  const prefix = uniqueStream('order');
  const expected = new Map<string, Position>();
  for (let i = 0; i < 6; i++) {
    const matching = `${prefix}-${i % 2}`;
    const result = await client.appendToStream(matching, jsonEvent({ type: 'Placed', data: { i } }));
    expected.set(`${matching}/${result.nextExpectedRevision}`, result.position!);
    await client.appendToStream(uniqueStream('other'), jsonEvent({ type: 'Placed', data: { i } }));
  }
  await client.createPersistentSubscriptionToAll('orders', persistentSubscriptionToAllSettingsFromDefaults({ startFrom: START }), {
    filter: streamNameFilter({ prefixes: [prefix] }),
  });

  const subscription = client.subscribeToPersistentSubscriptionToAll('orders');
  const ready = confirmed(subscription);
  const seen: Array<{ key: string; position: Position; commitPosition: bigint | undefined }> = [];
  const done = consume(subscription, async (event) => {
    seen.push({
      key: `${event.event!.streamId}/${event.event!.revision}`,
      position: event.event!.position!,
      commitPosition: event.commitPosition,
    });
    await subscription.ack(event);
    if (seen.length === 8) {
      await sleep(300);
      return 'stop';
    }
  });
  await ready;
  // Two live ones, one matching the filter.
  const live = await client.appendToStream(`${prefix}-live`, jsonEvent({ type: 'Placed', data: {} }));
  expected.set(`${prefix}-live/0`, live.position!);
  await client.appendToStream(uniqueStream('other'), jsonEvent({ type: 'Placed', data: {} }));
  const live2 = await client.appendToStream(`${prefix}-live`, jsonEvent({ type: 'Placed', data: {} }));
  expected.set(`${prefix}-live/1`, live2.position!);
  await done;

  assert.equal(
    seen.map((each) => each.key),
    [...expected.keys()],
  );
  for (const each of seen) {
    assert.equal(each.position, expected.get(each.key), each.key);
    assert.is(each.commitPosition, expected.get(each.key)!.commit);
  }
});

test('57. $all startFrom START, END and a position round-trip through info', async () => {
  const appended = await client.appendToStream(uniqueStream('pos'), numbered(1));
  const starts = { start: START, end: END, position: appended.position! } as const;
  for (const [group, startFrom] of Object.entries(starts)) {
    const settings = persistentSubscriptionToAllSettingsFromDefaults({ startFrom });
    await client.createPersistentSubscriptionToAll(`rt-${group}`, settings);
    const info = await client.getPersistentSubscriptionToAllInfo(`rt-${group}`);
    assert.equal(info.settings, settings, group);
    assert.is(info.eventSource, '$all');
  }
  const listed = await client.listPersistentSubscriptionsToAll();
  assert.ok(['rt-start', 'rt-end', 'rt-position'].every((group) => listed.some((info) => info.groupName === group)));

  // A start beyond the end of the log is refused with the server's reason.
  const beyond = { commit: appended.position!.commit + 1_000_000n, prepare: appended.position!.prepare + 1_000_000n };
  const error = await rejectionOf(
    client.createPersistentSubscriptionToAll('rt-beyond', persistentSubscriptionToAllSettingsFromDefaults({ startFrom: beyond })),
  );
  assert.instance(error, PersistentSubscriptionFailedError);
  assert.is(
    error.message,
    "13 INTERNAL: Subscription group rt-beyond on stream $all failed: 'Invalid Start From position: commit position must be less than or equal to the last commit position in the transaction file.'",
  );
});

test.run();
