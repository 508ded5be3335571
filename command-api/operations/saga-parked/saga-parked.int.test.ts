/**
 * The saga group's parked events through the command API, on the emulator through the real
 * client: a group whose consumer parks every event it gets (as the saga does after its retries),
 * listed newest first with the count the server keeps, then replayed and delivered again.
 */
import { jsonEvent, type PersistentSubscriptionToAll, type ResolvedEvent } from '@eventstore/db-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../../../platform/testing/eventually';
import { startEmulatorWithClient } from '../../../eventstore-emulator/testing/fixture';
import { ensurePersistentSubscriptionToAll } from '../../../platform/eventstore/persistent-subscription';
import { startCommandApi, type CommandApiFixture } from '../../testing/fixture';

const GROUP = 'parked-test-saga';
const EVENT_TYPE = 'ParkedTestHappened';

let api: CommandApiFixture;
let admin: string;

test.before(async () => {
  const emulator = await startEmulatorWithClient({ persistentTickMs: 50 });
  api = await startCommandApi({ emulator, settings: { sagaGroup: GROUP } });
  admin = await api.token('ada', 'admin');
});
test.after(async () => {
  await api.close();
  await api.emulator.close();
});

const parkedCount = async () => Number((await api.client.getPersistentSubscriptionToAllInfo(GROUP)).stats.parkedMessageCount);

test('only an admin may look: no token 401, a customer 403', async () => {
  assert.is((await api.call('GET', '/operations/saga/parked')).status, 401);
  assert.is((await api.call('POST', '/operations/saga/parked/replay')).status, 401);
  const customer = await api.token('carl', 'customer');
  const forbidden = await api.call('GET', '/operations/saga/parked', { token: customer });
  assert.is(forbidden.status, 403);
  assert.match(forbidden.headers.get('content-type') ?? '', 'application/problem+json');
  assert.is((await api.call('POST', '/operations/saga/parked/replay', { token: customer })).status, 403);
});

test('a group that does not exist yet has nothing parked, and nothing to replay', async () => {
  assert.equal(await api.call('GET', '/operations/saga/parked', { token: admin }).then(({ status, body }) => ({ status, body })), {
    status: 200,
    body: { group: GROUP, parkedCount: 0, items: [] },
  });
  const replay = await api.call('POST', '/operations/saga/parked/replay', { token: admin });
  assert.equal([replay.status, replay.body], [202, { status: 'replaying', parkedCount: 0 }]);
});

test('parked events are listed newest first (at most 100, with the full count), replayed, and delivered again', async () => {
  await ensurePersistentSubscriptionToAll(api.client, { group: GROUP, eventTypes: [EVENT_TYPE], settings: { maxRetryCount: 10 } });
  const appended: { id: string; streamId: string; revision: string }[] = [];
  for (let i = 0; i < 103; i++) {
    const event = jsonEvent({ type: EVENT_TYPE, data: { i } });
    const streamId = `parked-test-${i % 3}`;
    const result = await api.client.appendToStream(streamId, event);
    appended.push({ id: event.id, streamId, revision: result.nextExpectedRevision.toString() });
  }

  // A consumer that parks everything at first (the saga gives up the same way), then, after the
  // replay, acknowledges what comes back.
  let parking = true;
  const parkedInOrder: string[] = [];
  const redelivered = new Set<string>();
  const subscription: PersistentSubscriptionToAll = api.client.subscribeToPersistentSubscriptionToAll(GROUP, { bufferSize: 200 });
  subscription.on('data', (resolved: ResolvedEvent) => {
    const id = resolved.event!.id;
    if (parking) {
      parkedInOrder.push(id);
      void subscription.nack('park', 'test: always fails', resolved);
    } else {
      redelivered.add(id);
      void subscription.ack(resolved);
    }
  });
  subscription.on('error', () => {});
  try {
    await eventually('103 parked events', async () => (await parkedCount()) === 103);

    const listed = await api.call('GET', '/operations/saga/parked', { token: admin });
    assert.is(listed.status, 200);
    const body = listed.body as { group: string; parkedCount: number; items: Record<string, unknown>[] };
    assert.is(body.group, GROUP);
    assert.is(body.parkedCount, 103);
    assert.is(body.items.length, 100);
    const byId = new Map(appended.map((event) => [event.id, event]));
    assert.equal(
      body.items.map((item) => item.eventId),
      [...parkedInOrder].reverse().slice(0, 100),
      'newest first',
    );
    for (const item of body.items) {
      const original = byId.get(item.eventId as string)!;
      assert.equal(
        { ...item, parkedAt: undefined },
        { eventId: original.id, eventType: EVENT_TYPE, streamId: original.streamId, revision: original.revision, parkedAt: undefined },
      );
      assert.ok(typeof item.parkedAt === 'string' && !Number.isNaN(Date.parse(item.parkedAt)), `parkedAt ${String(item.parkedAt)}`);
    }

    parking = false;
    const replay = await api.call('POST', '/operations/saga/parked/replay', { token: admin });
    assert.equal([replay.status, replay.body], [202, { status: 'replaying', parkedCount: 103 }]);
    await eventually('every parked event delivered again', async () => redelivered.size === 103);
    await eventually('the parked count back to 0', async () => (await parkedCount()) === 0);
    const after = await api.call('GET', '/operations/saga/parked', { token: admin });
    assert.equal(after.body, { group: GROUP, parkedCount: 0, items: [] });
  } finally {
    await subscription.unsubscribe().catch(() => {});
  }
});

test('the OpenAPI document describes both routes, their answers and errors, under operations', async () => {
  const document = (await (await fetch(`${api.baseUrl}/docs/json`)).json()) as {
    paths: Record<string, Record<string, { tags: string[]; responses: Record<string, unknown> }>>;
  };
  const list = document.paths['/operations/saga/parked']?.get;
  const replay = document.paths['/operations/saga/parked/replay']?.post;
  assert.equal(list?.tags, ['operations']);
  assert.equal(replay?.tags, ['operations']);
  assert.equal(Object.keys(list?.responses ?? {}).sort(), ['200', '401', '403', '503']);
  assert.equal(Object.keys(replay?.responses ?? {}).sort(), ['202', '401', '403', '503']);
});

test('the event store down is a 503 problem, not a 500', async () => {
  const lonely = await startEmulatorWithClient();
  const down = await startCommandApi({ emulator: lonely });
  try {
    await lonely.emulator.stop();
    const answer = await down.call('GET', '/operations/saga/parked', { token: admin });
    assert.is(answer.status, 503, JSON.stringify(answer.body));
    assert.match(answer.headers.get('content-type') ?? '', 'application/problem+json');
  } finally {
    await down.app.close();
    await lonely.client.dispose();
  }
});

test.run();
