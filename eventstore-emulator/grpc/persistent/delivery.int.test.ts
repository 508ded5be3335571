import {
  PersistentSubscriptionDoesNotExistError,
  PersistentSubscriptionDroppedError,
  PersistentSubscriptionMaximumSubscribersReachedError,
  persistentSubscriptionToAllSettingsFromDefaults,
  persistentSubscriptionToStreamSettingsFromDefaults,
  START,
  streamNameFilter,
  type PersistentSubscriptionToAll,
  type PersistentSubscriptionToStream,
} from '@eventstore/db-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient } from '../../testing/fixture';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../../../platform/testing/eventually';
import { confirmed, consume, type Delivered, errorOf } from '../../testing/persistent-subscriptions';
import { numbered, uniqueStream } from '../../testing/events';
import { rejectionOf } from '../../../platform/testing/rejection';

// Spec section 5, items 48–54 (timeouts, competing connections, drops), through the real client.
const fixture = await startEmulatorWithClient({ persistentTickMs: 100 });
const { client } = fixture;
test.after(() => fixture.close());

const fromStart = (changes = {}) => persistentSubscriptionToStreamSettingsFromDefaults({ startFrom: START, ...changes });

test('48. messageTimeout 1000 ms, no ack → redelivered with retryCount 1 within 2 s', async () => {
  const stream = uniqueStream('timeout');
  await client.appendToStream(stream, numbered(1));
  await client.createPersistentSubscriptionToStream(stream, 'g', fromStart({ messageTimeout: 1000 }));

  const subscription = client.subscribeToPersistentSubscriptionToStream(stream, 'g');
  const deliveries: Array<{ at: number; retryCount: number }> = [];
  await consume(
    subscription,
    async (event) => {
      deliveries.push({ at: Date.now(), retryCount: event.retryCount });
      if (deliveries.length === 2) {
        await subscription.ack(event);
        return 'stop';
      }
    },
    4000,
  );

  assert.equal(
    deliveries.map((each) => each.retryCount),
    [0, 1],
  );
  const gap = deliveries[1]!.at - deliveries[0]!.at;
  // Not before the message timeout; the upper bound only catches "never", not a slow scheduler.
  assert.ok(gap >= 900 && gap < 10_000, `redelivered after ${gap} ms`);
});

test('49. two connections, RoundRobin, bufferSize 10 → both receive, never more than 10 unacked each', async () => {
  const stream = uniqueStream('competing');
  await client.createPersistentSubscriptionToStream(stream, 'g', fromStart());

  const other = fixture.newClient();
  const received = new Set<number>();
  let deliveries = 0;
  const run = async (subscription: PersistentSubscriptionToStream) => {
    let unacked = 0;
    let maxUnacked = 0;
    let count = 0;
    // Acks are held until the connection is full (then a moment longer, so that a server sending
    // past the buffer would be seen), or until nothing more has come for a while (the tail): each
    // connection is saturated however slowly this process is scheduled.
    const held: Delivered[] = [];
    let flush: NodeJS.Timeout | undefined;
    const ackHeld = () => {
      for (const each of held.splice(0)) {
        unacked--;
        void subscription.ack(each);
      }
    };
    await consume(subscription, (event) => {
      deliveries++;
      count++;
      unacked++;
      maxUnacked = Math.max(maxUnacked, unacked);
      received.add((event.event!.data as { n: number }).n);
      held.push(event);
      clearTimeout(flush);
      flush = setTimeout(ackHeld, unacked >= 10 ? 50 : 500);
    });
    clearTimeout(flush);
    return { count, maxUnacked };
  };
  const first = client.subscribeToPersistentSubscriptionToStream(stream, 'g', { bufferSize: 10 });
  const second = other.subscribeToPersistentSubscriptionToStream(stream, 'g', { bufferSize: 10 });
  const finished = Promise.all([run(first), run(second)]);
  // Both are connected before anything is written, so neither can take everything alone.
  await Promise.all([confirmed(first), confirmed(second)]);
  await client.appendToStream(stream, numbered(100));
  await eventually(
    'all 100 acked',
    async () =>
      received.size === 100 && (await client.getPersistentSubscriptionToStreamInfo(stream, 'g')).stats.outstandingMessagesCount === 0,
  );
  await Promise.all([first.unsubscribe(), second.unsubscribe()]);
  const [a, b] = await finished;

  assert.ok(a.count > 0 && b.count > 0, `both receive (${a.count}, ${b.count})`);
  assert.is(deliveries, 100);
  assert.is(a.maxUnacked, 10);
  assert.is(b.maxUnacked, 10);
});

test('49. Pinned keeps each source stream on one connection; DispatchToSingle fills the first one first', async () => {
  const target = uniqueStream('pinned');
  // An odd number of streams, so plain rotation would move each stream between connections.
  const streams = Array.from({ length: 5 }, (_, i) => `${target}-${i}`);
  // A `$all` group filtered to these streams, so events of several source streams interleave.
  await client.createPersistentSubscriptionToAll(
    'pinned',
    persistentSubscriptionToAllSettingsFromDefaults({ startFrom: START, consumerStrategyName: 'Pinned' }),
    { filter: streamNameFilter({ prefixes: [target] }) },
  );
  const owners = new Map<string, Set<number>>();
  let delivered = 0;
  const run = (subscription: PersistentSubscriptionToAll, connection: number) =>
    consume(subscription, (event) => {
      delivered++;
      const stream = event.event!.streamId;
      owners.set(stream, (owners.get(stream) ?? new Set()).add(connection));
      setTimeout(() => void subscription.ack(event), 5);
    });
  const first = client.subscribeToPersistentSubscriptionToAll('pinned', { bufferSize: 3 });
  const second = fixture.newClient().subscribeToPersistentSubscriptionToAll('pinned', { bufferSize: 3 });
  await Promise.all([confirmed(first), confirmed(second)]);
  const runs = [run(first, 1), run(second, 2)];
  // Written round-robin over the streams once both are connected (buckets move when connections join).
  for (let i = 0; i < 5; i++) for (const stream of streams) await client.appendToStream(stream, numbered(1, 'Numbered', i));
  await eventually('25 deliveries', () => delivered === 25);
  await sleep(100);
  await Promise.all([first.unsubscribe(), second.unsubscribe()]);
  await Promise.all(runs);
  assert.is(delivered, 25);
  assert.is(owners.size, 5);
  assert.equal(new Set([...owners.values()].flatMap((connections) => [...connections])), new Set([1, 2]), 'both connections serve streams');
  assert.ok(
    [...owners.values()].every((connections) => connections.size === 1),
    'each stream on one connection',
  );

  const single = uniqueStream('single');
  await client.appendToStream(single, numbered(5));
  await client.createPersistentSubscriptionToStream(single, 'g', fromStart({ consumerStrategyName: 'DispatchToSingle' }));
  const a = client.subscribeToPersistentSubscriptionToStream(single, 'g', { bufferSize: 10 });
  await confirmed(a);
  const b = fixture.newClient().subscribeToPersistentSubscriptionToStream(single, 'g', { bufferSize: 10 });
  await confirmed(b);
  const byConnection = { a: 0, b: 0 };
  const runsSingle = [
    consume(a, async (event) => void (byConnection.a++, await a.ack(event))),
    consume(b, async (event) => void (byConnection.b++, await b.ack(event))),
  ];
  await client.appendToStream(single, numbered(5, 'Numbered', 5));
  await eventually('10 deliveries', () => byConnection.a + byConnection.b === 10);
  await sleep(100);
  await Promise.all([a.unsubscribe(), b.unsubscribe()]);
  await Promise.all(runsSingle);
  assert.equal(byConnection, { a: 10, b: 0 });
});

test('50. a closed connection’s unacked messages go to the other with retryCount + 1', async () => {
  const stream = uniqueStream('handover');
  await client.appendToStream(stream, numbered(5));
  await client.createPersistentSubscriptionToStream(stream, 'g', fromStart());

  const leaving = client.subscribeToPersistentSubscriptionToStream(stream, 'g');
  const held: Delivered[] = [];
  const leavingDone = consume(leaving, (event) => {
    held.push(event); // never acked
  });
  await eventually('all 5 held by the leaving connection', () => held.length === 5);

  const staying = fixture.newClient().subscribeToPersistentSubscriptionToStream(stream, 'g');
  const stayingReady = confirmed(staying);
  const taken: Array<[bigint, number]> = [];
  const stayingDone = consume(staying, async (event) => {
    taken.push([event.event!.revision, event.retryCount]);
    await staying.ack(event);
    if (taken.length === 5) return 'stop';
  });
  await stayingReady;
  await sleep(100);
  assert.is(taken.length, 0, 'nothing for the staying connection while the other holds everything');
  await leaving.unsubscribe();
  await leavingDone;
  await stayingDone;

  assert.equal(taken, [
    [0n, 1],
    [1n, 1],
    [2n, 1],
    [3n, 1],
    [4n, 1],
  ]);
});

test('51. maxSubscriberCount 1 → second connection gets MaximumSubscribersReached', async () => {
  const stream = uniqueStream('max');
  await client.createPersistentSubscriptionToStream(stream, 'g', fromStart({ maxSubscriberCount: 1 }));
  const first = client.subscribeToPersistentSubscriptionToStream(stream, 'g');
  await confirmed(first);

  const second = fixture.newClient().subscribeToPersistentSubscriptionToStream(stream, 'g');
  const error = await rejectionOf(consume(second, () => 'stop'));
  assert.instance(error, PersistentSubscriptionMaximumSubscribersReachedError);
  assert.is(error.message, `9 FAILED_PRECONDITION: Maximum subscriptions reached for subscription group g on stream ${stream}.`);
  await first.unsubscribe();
});

/**
 * 10 events, all delivered; the first 7 acked. Checkpoints every 5 handled messages (the time
 * rule needs 10), so the checkpoint is revision 4 and revisions 5 and 6 are acked past it.
 */
async function sevenAckedCheckpointAtFour(stream: string): Promise<PersistentSubscriptionToStream> {
  await client.appendToStream(stream, numbered(10));
  await client.createPersistentSubscriptionToStream(stream, 'g', fromStart({ checkPointLowerBound: 10, checkPointUpperBound: 5 }));
  const subscription = client.subscribeToPersistentSubscriptionToStream(stream, 'g');
  let received = 0;
  for await (const event of subscription as AsyncIterable<Delivered>) {
    if (event.event!.revision < 7n) await subscription.ack(event);
    if (++received === 10) break;
  }
  await eventually(
    '7 acks',
    async () => (await client.getPersistentSubscriptionToStreamInfo(stream, 'g')).stats.outstandingMessagesCount === 3,
  );
  const info = await client.getPersistentSubscriptionToStreamInfo(stream, 'g');
  assert.is(info.stats.lastCheckpointedEventRevision, 4n);
  return subscription;
}

async function revisionsAfterReconnect(stream: string, count: number): Promise<Array<[bigint, number]>> {
  const again = fixture.newClient().subscribeToPersistentSubscriptionToStream(stream, 'g');
  const seen: Array<[bigint, number]> = [];
  await consume(again, async (event) => {
    seen.push([event.event!.revision, event.retryCount]);
    await again.ack(event);
    if (seen.length === count) {
      await sleep(200);
      return 'stop';
    }
  });
  return seen;
}

test('52. update while connected → dropped; reconnecting continues from the checkpoint', async () => {
  const stream = uniqueStream('update');
  const subscription = await sevenAckedCheckpointAtFour(stream);
  const dropped = errorOf(subscription);
  await client.updatePersistentSubscriptionToStream(
    stream,
    'g',
    fromStart({ checkPointLowerBound: 10, checkPointUpperBound: 5, messageTimeout: 12_345 }),
  );
  const error = await dropped;
  assert.instance(error, PersistentSubscriptionDroppedError);
  assert.is(error.message, `1 CANCELLED: Subscription group g on stream ${stream} was dropped.`);

  assert.equal(await revisionsAfterReconnect(stream, 5), [
    [5n, 0],
    [6n, 0],
    [7n, 0],
    [8n, 0],
    [9n, 0],
  ]);
  const info = await client.getPersistentSubscriptionToStreamInfo(stream, 'g');
  assert.is(info.settings.messageTimeout, 12_345);
});

test('53. delete while connected → dropped; subscribing again → does-not-exist; re-created group starts afresh', async () => {
  const stream = uniqueStream('delete');
  const subscription = await sevenAckedCheckpointAtFour(stream);
  const dropped = errorOf(subscription);
  await client.deletePersistentSubscriptionToStream(stream, 'g');
  assert.instance(await dropped, PersistentSubscriptionDroppedError);

  const again = client.subscribeToPersistentSubscriptionToStream(stream, 'g');
  assert.instance(await rejectionOf(consume(again, () => 'stop')), PersistentSubscriptionDoesNotExistError);
  assert.instance(await rejectionOf(client.getPersistentSubscriptionToStreamInfo(stream, 'g')), PersistentSubscriptionDoesNotExistError);

  // The checkpoint went with the group.
  await client.createPersistentSubscriptionToStream(stream, 'g', fromStart());
  const revisions = (await revisionsAfterReconnect(stream, 10)).map(([revision]) => revision);
  assert.equal(
    revisions,
    Array.from({ length: 10 }, (_, i) => BigInt(i)),
  );
});

test('54. restartPersistentSubscriptionSubsystem → dropped; reconnect resumes after the checkpoint', async () => {
  const stream = uniqueStream('restart');
  const subscription = await sevenAckedCheckpointAtFour(stream);
  const dropped = errorOf(subscription);
  await client.restartPersistentSubscriptionSubsystem();
  assert.instance(await dropped, PersistentSubscriptionDroppedError);

  // 5 and 6 were acked after the checkpoint: at-least-once brings them back.
  assert.equal(await revisionsAfterReconnect(stream, 5), [
    [5n, 0],
    [6n, 0],
    [7n, 0],
    [8n, 0],
    [9n, 0],
  ]);
});

test('54. the checkpoint stops just before the oldest unacked message, then catches up', async () => {
  const stream = uniqueStream('oldest');
  await client.appendToStream(stream, numbered(10));
  await client.createPersistentSubscriptionToStream(stream, 'g', fromStart({ checkPointLowerBound: 1, checkPointAfter: 100 }));
  const subscription = client.subscribeToPersistentSubscriptionToStream(stream, 'g');
  let held: Delivered | undefined;
  const done = consume(subscription, async (event) => {
    if (event.event!.revision === 5n) held = event;
    else await subscription.ack(event);
  });
  const checkpoint = async () => (await client.getPersistentSubscriptionToStreamInfo(stream, 'g')).stats.lastCheckpointedEventRevision;
  await eventually('checkpoint at 4', async () => (await checkpoint()) === 4n);
  await sleep(500);
  assert.is(await checkpoint(), 4n);

  await subscription.ack(held!);
  await eventually('checkpoint at 9', async () => (await checkpoint()) === 9n);
  await subscription.unsubscribe();
  await done;
});

test.run();
