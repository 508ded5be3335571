import {
  binaryEvent,
  END,
  jsonEvent,
  PARK,
  PersistentSubscriptionDoesNotExistError,
  PersistentSubscriptionExistsError,
  persistentSubscriptionToStreamSettingsFromDefaults,
  RETRY,
  SKIP,
  START,
} from '@eventstore/db-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient } from '../../testing/fixture';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../../../platform/testing/eventually';
import { confirmed, consume, type Delivered } from '../../testing/persistent-subscriptions';
import { numbered, uniqueStream } from '../../testing/events';
import { rejectionOf } from '../../../platform/testing/rejection';

// Spec section 5, items 42–47, 56 and 58 (stream groups), through the real client.
const fixture = await startEmulatorWithClient({ persistentTickMs: 100 });
const { client } = fixture;
test.after(() => fixture.close());

const fromStart = (changes = {}) => persistentSubscriptionToStreamSettingsFromDefaults({ startFrom: START, ...changes });

test('42. stream group from start: one confirmation, every event once with retryCount 0, acked', async () => {
  const stream = uniqueStream('order');
  await client.appendToStream(stream, numbered(4));
  await client.createPersistentSubscriptionToStream(stream, 'g', fromStart());

  const subscription = client.subscribeToPersistentSubscriptionToStream(stream, 'g');
  let confirmations = 0;
  subscription.on('confirmation', () => confirmations++);
  const seen: Array<[bigint, number]> = [];
  await consume(subscription, async (event) => {
    seen.push([event.event!.revision, event.retryCount]);
    await subscription.ack(event);
    if (seen.length === 4) return 'stop';
  });

  assert.is(confirmations, 1);
  assert.equal(seen, [
    [0n, 0],
    [1n, 0],
    [2n, 0],
    [3n, 0],
  ]);
  const info = await client.getPersistentSubscriptionToStreamInfo(stream, 'g');
  assert.is(info.stats.outstandingMessagesCount, 0);
  assert.is(info.stats.totalItems, 4n);
});

test('43. from revision 1 then 4 more → 7 deliveries; from end → only the 4 appended after create', async () => {
  const fromRevision = uniqueStream('rev');
  await client.appendToStream(fromRevision, numbered(4));
  await client.createPersistentSubscriptionToStream(fromRevision, 'g', fromStart({ startFrom: 1n }));
  await client.appendToStream(fromRevision, numbered(4, 'Numbered', 4));
  const revisions: bigint[] = [];
  const first = client.subscribeToPersistentSubscriptionToStream(fromRevision, 'g');
  await consume(first, async (event) => {
    revisions.push(event.event!.revision);
    await first.ack(event);
    if (revisions.length === 7) return 'stop';
  });
  assert.equal(revisions, [1n, 2n, 3n, 4n, 5n, 6n, 7n]);

  const fromEnd = uniqueStream('end');
  await client.appendToStream(fromEnd, numbered(4));
  await client.createPersistentSubscriptionToStream(fromEnd, 'g', persistentSubscriptionToStreamSettingsFromDefaults({ startFrom: END }));
  // Two are written before any client connects: they must still be delivered.
  await client.appendToStream(fromEnd, numbered(2, 'Numbered', 4));
  const second = client.subscribeToPersistentSubscriptionToStream(fromEnd, 'g');
  const ready = confirmed(second);
  const data: number[] = [];
  const consumed = consume(second, async (event) => {
    data.push((event.event!.data as { n: number }).n);
    await second.ack(event);
    if (data.length === 4) return 'stop';
  });
  await ready;
  await client.appendToStream(fromEnd, numbered(2, 'Numbered', 6));
  await consumed;
  assert.equal(data, [4, 5, 6, 7]);
});

test('44. create twice → PersistentSubscriptionExistsError; missing group → does-not-exist with the server message', async () => {
  const stream = uniqueStream('twice');
  await client.createPersistentSubscriptionToStream(stream, 'g', fromStart());
  const exists = await rejectionOf(client.createPersistentSubscriptionToStream(stream, 'g', fromStart()));
  assert.instance(exists, PersistentSubscriptionExistsError);
  assert.is(exists.message, `6 ALREADY_EXISTS: Subscription group g on stream ${stream} exists.`);

  const missing = client.subscribeToPersistentSubscriptionToStream(stream, 'nope');
  const error = await rejectionOf(consume(missing, () => 'stop'));
  assert.instance(error, PersistentSubscriptionDoesNotExistError);
  assert.is(error.message, `5 NOT_FOUND: Subscription group nope on stream ${stream} does not exist.`);
  assert.is((error as PersistentSubscriptionDoesNotExistError).streamName, stream);
  assert.is((error as PersistentSubscriptionDoesNotExistError).groupName, 'nope');
});

test('45. skip 20 and retry 20 → 20 + 40 + 1 deliveries', async () => {
  const stream = uniqueStream('nack');
  await client.appendToStream(stream, [
    ...numbered(20, 'skip-event'),
    ...numbered(20, 'retry-event'),
    jsonEvent({ type: 'finish-test', data: {} }),
  ]);
  await client.createPersistentSubscriptionToStream(stream, 'g', fromStart());

  const subscription = client.subscribeToPersistentSubscriptionToStream(stream, 'g');
  const nacked = new Set<string>();
  let deliveries = 0;
  const retryCounts: number[] = [];
  await consume(subscription, async (event) => {
    deliveries++;
    const { id, type } = event.event!;
    if (type === 'finish-test') {
      await subscription.ack(event);
      return 'stop';
    }
    if (!nacked.has(id)) {
      nacked.add(id);
      await subscription.nack(type === 'skip-event' ? SKIP : RETRY, 'To test it', event);
      return;
    }
    retryCounts.push(event.retryCount);
    await subscription.ack(event);
  });

  assert.is(deliveries, 61);
  assert.equal(retryCounts, Array(20).fill(1));
});

test('46. maxRetryCount 5, always retried → retryCount 0..5, then parked', async () => {
  const stream = uniqueStream('retry');
  await client.appendToStream(stream, numbered(1));
  await client.createPersistentSubscriptionToStream(stream, 'g', fromStart({ maxRetryCount: 5 }));

  const subscription = client.subscribeToPersistentSubscriptionToStream(stream, 'g');
  const retryCounts: number[] = [];
  const collecting = consume(
    subscription,
    async (event) => {
      retryCounts.push(event.retryCount);
      await subscription.nack(RETRY, 'again', event);
    },
    3000,
  ).catch(() => undefined);
  await eventually(
    'parking',
    async () => (await client.getPersistentSubscriptionToStreamInfo(stream, 'g')).stats.parkedMessageCount === 1n,
  );
  await sleep(300);
  await subscription.unsubscribe();
  await collecting;

  assert.equal(retryCounts, [0, 1, 2, 3, 4, 5]);
  const parkedStream = `$persistentsubscription-${stream}::g-parked`;
  const link = fixture.emulator.log.streamRecord(parkedStream, 0n)!;
  assert.is(link.type, '$>');
  assert.is(Buffer.from(link.data).toString('utf8'), `0@${stream}`);
  assert.is(fixture.emulator.log.currentRevision(parkedStream), 0n);
});

async function parkAllThenReplay(stream: string, stopAt: number | undefined): Promise<{ parked: number; replayed: Delivered[] }> {
  await client.appendToStream(stream, [...numbered(19), jsonEvent({ type: 'finish-test', data: {} })]);
  await client.createPersistentSubscriptionToStream(stream, 'g', fromStart());
  const subscription = client.subscribeToPersistentSubscriptionToStream(stream, 'g');
  let parked = 0;
  let replaying = false;
  const replayed: Delivered[] = [];
  const done = consume(subscription, async (event) => {
    if (!replaying) {
      parked++;
      await subscription.nack(PARK, 'Park it', event);
      if (event.event?.type === 'finish-test') {
        await eventually(
          '20 parked',
          async () => (await client.getPersistentSubscriptionToStreamInfo(stream, 'g')).stats.parkedMessageCount === 20n,
        );
        replaying = true;
        await client.replayParkedMessagesToStream(stream, 'g', stopAt === undefined ? {} : { stopAt });
      }
      return;
    }
    replayed.push(event);
    await subscription.ack(event);
    if (stopAt === undefined && event.event?.type === 'finish-test') return 'stop';
  });
  if (stopAt !== undefined) {
    await eventually(`${stopAt} replayed`, () => replayed.length >= stopAt);
    // Nothing more may come.
    await sleep(500);
    await subscription.unsubscribe();
  }
  await done;
  return { parked, replayed };
}

test('47. park 20, replay → 20 redelivered; with stopAt 4 → 4', async () => {
  const all = await parkAllThenReplay(uniqueStream('replay-all'), undefined);
  assert.is(all.parked, 20);
  assert.is(all.replayed.length, 20);
  assert.equal(
    all.replayed.map((event) => (event.event!.data as { n?: number }).n),
    [...Array.from({ length: 19 }, (_, i) => i), undefined],
  );
  assert.ok(all.replayed.every((event) => event.retryCount === 0 && event.link?.type === '$>'));

  const stream = uniqueStream('replay-4');
  const some = await parkAllThenReplay(stream, 4);
  assert.is(some.parked, 20);
  assert.equal(
    some.replayed.map((event) => event.event!.revision),
    [0n, 1n, 2n, 3n],
  );
  const info = await client.getPersistentSubscriptionToStreamInfo(stream, 'g');
  assert.is(info.stats.parkedMessageCount, 16n);
  assert.is(info.stats.outstandingMessagesCount, 0);
});

test('56. list on a stream without groups → does-not-exist; listAll with none → []', async () => {
  const empty = await startEmulatorWithClient();
  try {
    assert.equal(await empty.client.listAllPersistentSubscriptions(), []);
    const stream = uniqueStream('nogroups');
    const error = await rejectionOf(empty.client.listPersistentSubscriptionsToStream(stream));
    assert.instance(error, PersistentSubscriptionDoesNotExistError);
    assert.is(error.message, `5 NOT_FOUND: Subscription group  on stream ${stream} does not exist.`);

    await empty.client.createPersistentSubscriptionToStream(stream, 'a', fromStart());
    await empty.client.createPersistentSubscriptionToStream(stream, 'b', fromStart());
    await empty.client.createPersistentSubscriptionToStream(uniqueStream('other'), 'c', fromStart());
    const listed = await empty.client.listPersistentSubscriptionsToStream(stream);
    assert.equal(
      listed.map((info) => info.groupName),
      ['a', 'b'],
    );
    assert.is((await empty.client.listAllPersistentSubscriptions()).length, 3);
  } finally {
    await empty.close();
  }
});

test('58. resolveLinkTos over $> links: event = target, acks by link id work', async () => {
  const target = uniqueStream('target');
  const links = uniqueStream('links');
  await client.appendToStream(target, numbered(3));
  await client.appendToStream(
    links,
    [2, 0, 1].map((revision) => binaryEvent({ type: '$>', data: Buffer.from(`${revision}@${target}`) })),
  );
  await client.createPersistentSubscriptionToStream(links, 'g', fromStart({ resolveLinkTos: true, messageTimeout: 300 }));

  const subscription = client.subscribeToPersistentSubscriptionToStream(links, 'g');
  const seen: Delivered[] = [];
  await consume(subscription, async (event) => {
    seen.push(event);
    await subscription.ack(event);
    if (seen.length === 3) {
      // Acked by link id: nothing may time out and come back.
      await sleep(700);
      return 'stop';
    }
  });

  assert.equal(
    seen.map((event) => [event.event!.streamId, event.event!.revision, event.link!.streamId, event.link!.revision]),
    [
      [target, 2n, links, 0n],
      [target, 0n, links, 1n],
      [target, 1n, links, 2n],
    ],
  );
  assert.ok(seen.every((event) => event.event!.position!.commit === event.link!.position!.commit));
  const info = await client.getPersistentSubscriptionToStreamInfo(links, 'g');
  assert.is(info.stats.totalItems, 3n);
  assert.is(info.stats.outstandingMessagesCount, 0);
});

test.run();
