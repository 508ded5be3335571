import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmulatorWithClient, type EmulatorFixture } from '../../eventstore-emulator/testing/fixture';
import {
  UnreadableEventError,
  VersionConflictError,
  appendEvents,
  catchUpStream,
  deterministicEventId,
  deterministicEventIds,
  eventStoreReadinessCheck,
  commandHandler,
  foldStream,
  readStreamEvents,
  type CommandHandlerOptions,
  type CausationMetadata,
  type Decider,
  type EventCodec,
} from './index';

// ---- a tiny counter, defined here so these tests need nothing from domain/ ----------------

type CounterEvent = { type: 'Incremented'; data: { by: number } } | { type: 'Reset'; data: { reason: string } };
type CounterCommand = { type: 'Increment'; by: number } | { type: 'IncrementUpTo'; limit: number } | { type: 'Reset'; reason: string };
interface CounterState {
  value: number;
}

const counter: Decider<CounterCommand, CounterEvent, CounterState> = {
  initialState: () => ({ value: 0 }),
  decide(command, state) {
    switch (command.type) {
      case 'Increment':
        return [{ type: 'Incremented', data: { by: command.by } }];
      case 'IncrementUpTo':
        return state.value < command.limit ? [{ type: 'Incremented', data: { by: 1 } }] : [];
      case 'Reset':
        return [
          { type: 'Reset', data: { reason: command.reason } },
          { type: 'Incremented', data: { by: 1 } },
        ];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'Incremented':
        return { value: state.value + event.data.by };
      case 'Reset':
        return { value: 0 };
    }
  },
};

const codec: EventCodec<CounterEvent> = {
  schemaVersionOf: (event) => (event.type === 'Incremented' ? 2 : 1),
  decode({ type, data, schemaVersion }) {
    if (type === 'Incremented' && schemaVersion === 1) return { type, data: { by: (data as { amount: number }).amount } }; // upcast v1
    if (type === 'Incremented' || type === 'Reset') return { type, data } as CounterEvent;
    throw new Error(`unknown event type ${type}`);
  },
};

const metadata: CausationMetadata = { correlationId: 'corr-1', causationId: 'cmd-1', actor: 'alice' };

let fixture: EmulatorFixture;
let client: EventStoreDBClient;
let streamNumber = 0;
const newStream = () => `counter-${++streamNumber}`;

test.before(async () => {
  fixture = await startEmulatorWithClient();
  client = fixture.client;
});

test.after(async () => {
  await fixture.close();
});

/** A client whose appends are each preceded by another writer's append to the same stream. */
function interferingClient(times: number): EventStoreDBClient {
  let left = times;
  const other = fixture.newClient();
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'appendToStream') return Reflect.get(target, property, receiver);
      return async (...args: Parameters<EventStoreDBClient['appendToStream']>) => {
        if (left-- > 0) {
          await other.appendToStream(args[0], jsonEvent({ type: 'Incremented', data: { by: 100 }, metadata: { schemaVersion: 2 } }));
        }
        return target.appendToStream(...args);
      };
    },
  });
}

// ---- tests ------------------------------------------------------------------------------------

test('catching up a folded state reads only the newer events and ends where a full fold does', async () => {
  const stream = newStream();
  const increments = (count: number) => Array.from({ length: count }, (_, i) => ({ type: 'Incremented' as const, data: { by: i + 1 } }));
  await appendEvents(client, stream, increments(3), { expectedRevision: 'no_stream', metadata, codec });
  const known = await foldStream(client, stream, counter, { codec });
  await appendEvents(client, stream, increments(2), { expectedRevision: known.revision, metadata, codec });

  let decoded = 0;
  const countingCodec: EventCodec<CounterEvent> = { ...codec, decode: (stored) => (decoded++, codec.decode(stored)) };
  const caughtUp = await catchUpStream(client, stream, counter, { known, codec: countingCodec });
  assert.is(decoded, 2, 'only the two events after the known revision were read');
  assert.equal(caughtUp, { state: { value: 6 + 3 }, revision: 4n });
  assert.equal(caughtUp, await foldStream(client, stream, counter, { codec }));
  assert.equal(await catchUpStream(client, stream, counter, { known: caughtUp, codec }), caughtUp, 'nothing new: unchanged');
});

test('a stream that does not exist folds to the initial state at no_stream', async () => {
  const loaded = await foldStream(client, newStream(), counter, { codec });
  assert.equal(loaded, { state: { value: 0 }, revision: 'no_stream' });
});

test('appended events carry their metadata, and the fold reads them back with their revision', async () => {
  const stream = newStream();
  const first = await appendEvents(client, stream, [{ type: 'Incremented', data: { by: 5 } }], {
    expectedRevision: 'no_stream',
    metadata,
    codec,
  });
  assert.is(first.nextExpectedRevision, 0n);
  const second = await appendEvents(
    client,
    stream,
    [
      { type: 'Reset', data: { reason: 'audit' } },
      { type: 'Incremented', data: { by: 3 } },
    ],
    { expectedRevision: 0n, metadata: { ...metadata, causationId: 'cmd-2' }, codec },
  );
  assert.is(second.nextExpectedRevision, 2n);
  assert.is(typeof second.position.commit, 'bigint');
  assert.ok(second.position.commit > first.position.commit, 'the later write sits later in the log');

  const { events, revision } = await readStreamEvents(client, stream, { codec });
  assert.is(revision, 2n);
  assert.equal(
    events.map(({ event, revision, metadata }) => ({ event, revision, metadata })),
    [
      {
        event: { type: 'Incremented', data: { by: 5 } },
        revision: 0n,
        metadata: { correlationId: 'corr-1', causationId: 'cmd-1', actor: 'alice', schemaVersion: 2 },
      },
      {
        event: { type: 'Reset', data: { reason: 'audit' } },
        revision: 1n,
        metadata: { correlationId: 'corr-1', causationId: 'cmd-2', actor: 'alice', schemaVersion: 1 },
      },
      {
        event: { type: 'Incremented', data: { by: 3 } },
        revision: 2n,
        metadata: { correlationId: 'corr-1', causationId: 'cmd-2', actor: 'alice', schemaVersion: 2 },
      },
    ],
  );
  assert.equal(events[2]?.position, second.position);

  assert.equal(await foldStream(client, stream, counter, { codec }), { state: { value: 3 }, revision: 2n });
});

test('the codec sees the stored schema version and can upcast old events', async () => {
  const stream = newStream();
  await client.appendToStream(stream, jsonEvent({ type: 'Incremented', data: { amount: 7 }, metadata: { schemaVersion: 1 } }));
  assert.equal(await foldStream(client, stream, counter, { codec }), { state: { value: 7 }, revision: 0n });
});

test('an event the codec cannot read fails the load with UnreadableEventError naming it', async () => {
  const stream = newStream();
  await client.appendToStream(stream, [jsonEvent({ type: 'Incremented', data: { by: 1 } }), jsonEvent({ type: 'Exploded', data: {} })]);
  try {
    await foldStream(client, stream, counter, { codec });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, UnreadableEventError);
    assert.is((error as Error).message, `Cannot read Exploded at ${stream}@1: unknown event type Exploded`);
  }
});

test('appending twice with the same deterministic ids writes the events once', async () => {
  const stream = newStream();
  const ids = deterministicEventIds('idem-key-1', 2);
  const events: CounterEvent[] = [
    { type: 'Incremented', data: { by: 1 } },
    { type: 'Incremented', data: { by: 2 } },
  ];
  const first = await appendEvents(client, stream, events, { expectedRevision: 'no_stream', metadata, eventIds: ids, codec });
  const repeat = await appendEvents(client, stream, events, { expectedRevision: 'no_stream', metadata, eventIds: ids, codec });
  assert.is(repeat.nextExpectedRevision, first.nextExpectedRevision);
  const { events: stored } = await readStreamEvents(client, stream, { codec });
  assert.equal(
    stored.map(({ id }) => id),
    ids,
  );
});

// ---- the command handler -----------------------------------------------------------------

const counters = (options: Partial<CommandHandlerOptions<CounterCommand, CounterEvent, CounterState>> = {}) =>
  commandHandler({ client, decider: counter, codec, ...options });

test('with an idempotency key the handler writes ids derived from the stream and the key', async () => {
  const stream = newStream();
  const outcome = await counters().handle(
    stream,
    { type: 'Reset', reason: 'start' },
    { metadata, idempotencyKey: 'key-9', retry: 'never' },
  );
  assert.is(outcome.revision, 1n);
  const ids = [deterministicEventId(`${stream}/key-9`, 0), deterministicEventId(`${stream}/key-9`, 1)];
  assert.equal(outcome.eventIds, ids);
  const { events } = await readStreamEvents(client, stream, { codec });
  assert.equal(
    events.map(({ id }) => id),
    ids,
  );
});

test('a repeat under the same idempotency key finds what the first wrote, and answers with it', async () => {
  const stream = newStream();
  const first = await counters().handle(stream, { type: 'Increment', by: 2 }, { metadata, idempotencyKey: 'once' });
  await counters().handle(stream, { type: 'Increment', by: 5 }, { metadata });
  const repeat = await counters().handle(stream, { type: 'Increment', by: 2 }, { metadata, idempotencyKey: 'once' });
  assert.equal(repeat.events, [], 'not applied twice');
  assert.equal([repeat.revision, repeat.position, repeat.state], [first.revision, first.position, { value: 7 }]);
});

test('an idempotency key derived from the decision names different ids for a different decision', async () => {
  const stream = newStream();
  const key = (events: readonly CounterEvent[]) => `after/x/${events.map((event) => event.type).join(',')}`;
  const outcome = await counters().handle(stream, { type: 'Increment', by: 1 }, { metadata, idempotencyKey: key });
  assert.equal(outcome.eventIds, [deterministicEventId(`${stream}/after/x/Incremented`, 0)]);
});

test('the handler loads, decides, appends, and answers the new state, revision and position', async () => {
  const stream = newStream();
  const first = await counters().handle(stream, { type: 'Increment', by: 4 }, { metadata });
  assert.equal(first.events, [{ type: 'Incremented', data: { by: 4 } }]);
  assert.equal(first.state, { value: 4 });
  assert.is(first.revision, 0n);
  assert.is(first.attempts, 1);
  assert.ok(first.position, 'a write has a position');

  const second = await counters().handle(stream, { type: 'Increment', by: 1 }, { metadata });
  assert.equal(second.state, { value: 5 });
  assert.is(second.revision, 1n);
});

test('a decision with no events appends nothing and keeps the revision', async () => {
  const stream = newStream();
  await counters().handle(stream, { type: 'Increment', by: 3 }, { metadata });
  const outcome = await counters().handle(stream, { type: 'IncrementUpTo', limit: 3 }, { metadata });
  assert.equal(outcome, { events: [], eventIds: [], state: { value: 3 }, revision: 0n, position: undefined, attempts: 1 });
});

test('20 concurrent increments of one counter all land, by retrying on conflict', async () => {
  const stream = newStream();
  const outcomes = await Promise.all(
    Array.from({ length: 20 }, (_, index) =>
      counters({ client: fixture.newClient() }).handle(
        stream,
        { type: 'Increment', by: 1 },
        { metadata: { ...metadata, causationId: `cmd-${index}` } },
      ),
    ),
  );
  const loaded = await foldStream(client, stream, counter, { codec });
  assert.equal(loaded, { state: { value: 20 }, revision: 19n });
  assert.equal(
    outcomes.map(({ revision }) => revision).sort((a, b) => Number(a) - Number(b)),
    Array.from({ length: 20 }, (_, index) => BigInt(index)),
  );
  assert.ok(
    outcomes.some(({ attempts }) => attempts > 1),
    'there was contention to retry through',
  );
});

test('one handler runs the commands on one stream one at a time: no conflict between them', async () => {
  const stream = newStream();
  const handler = counters();
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, () => handler.handle(stream, { type: 'Increment', by: 1 }, { metadata, retry: 'never' })),
  );
  assert.equal(
    outcomes.map(({ revision, attempts }) => [revision, attempts]),
    Array.from({ length: 10 }, (_, index) => [BigInt(index), 1]),
  );
});

test('a conflict is retried on fresh state, whose decision may differ', async () => {
  const stream = newStream();
  await counters().handle(stream, { type: 'Increment', by: 1 }, { metadata });
  // Another writer adds 100 between our read and our append; re-deciding on fresh state sees it.
  const outcome = await counters({ client: interferingClient(1) }).handle(stream, { type: 'IncrementUpTo', limit: 50 }, { metadata });
  assert.is(outcome.attempts, 2);
  assert.equal(outcome.events, [], 'at 101 the counter is past the limit, so nothing is left to do');
  assert.equal(await foldStream(client, stream, counter, { codec }), { state: { value: 101 }, revision: 1n });
});

test('without retry, a conflict is a VersionConflictError with stream, expected and actual revision', async () => {
  const stream = newStream();
  await counters({ retry: 'never' }).handle(stream, { type: 'Increment', by: 1 }, { metadata });
  try {
    await counters({ client: interferingClient(1), retry: 'never' }).handle(stream, { type: 'Increment', by: 1 }, { metadata });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, VersionConflictError);
    const conflict = error as VersionConflictError;
    assert.equal(
      { stream: conflict.streamName, expected: conflict.expectedRevision, actual: conflict.actualRevision, attempts: conflict.attempts },
      { stream, expected: 0n, actual: 1n, attempts: 1 },
    );
    assert.is(conflict.message, `Stream ${stream} was expected at revision 0 but is at 1`);
  }
  assert.equal(await foldStream(client, stream, counter, { codec }), { state: { value: 101 }, revision: 1n });
});

test('a caller-stated expected revision that the stream has moved past is a conflict, never retried', async () => {
  const stream = newStream();
  await counters().handle(stream, { type: 'Increment', by: 1 }, { metadata });
  await counters().handle(stream, { type: 'Increment', by: 1 }, { metadata });
  try {
    await counters().handle(stream, { type: 'Increment', by: 1 }, { metadata, expected: 0n });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, VersionConflictError);
    assert.equal([(error as VersionConflictError).expectedRevision, (error as VersionConflictError).actualRevision], [0n, 1n]);
  }
  const matching = await counters().handle(stream, { type: 'Increment', by: 1 }, { metadata, expected: 1n });
  assert.is(matching.revision, 2n);
});

test('retries are bounded: a stream that keeps moving ends in VersionConflictError after maxAttempts', async () => {
  const stream = newStream();
  try {
    await counters({ client: interferingClient(10), retry: { maxAttempts: 3, backoff: { initialMs: 1, maxMs: 5 } } }).handle(
      stream,
      { type: 'Increment', by: 1 },
      { metadata },
    );
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, VersionConflictError);
    assert.is((error as VersionConflictError).attempts, 3);
    assert.is((error as VersionConflictError).expectedRevision, 1n);
    assert.is((error as VersionConflictError).actualRevision, 2n);
  }
  // Only the interfering writer's three events are there.
  assert.equal(await foldStream(client, stream, counter, { codec }), { state: { value: 300 }, revision: 2n });
});

test("expected 'existing': a stream without events is a conflict", async () => {
  const stream = newStream();
  try {
    await counters({ retry: 'never' }).handle(stream, { type: 'Increment', by: 1 }, { metadata, expected: 'existing' });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, VersionConflictError);
    assert.equal(
      [(error as VersionConflictError).expectedRevision, (error as VersionConflictError).actualRevision],
      ['stream_exists', 'no_stream'],
    );
  }
  await counters().handle(stream, { type: 'Increment', by: 1 }, { metadata });
  assert.is((await counters().handle(stream, { type: 'Increment', by: 1 }, { metadata, expected: 'existing' })).revision, 1n);
});

/** A client that counts the reads of streams. */
function countingReads(): { client: EventStoreDBClient; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property !== 'readStream') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: Parameters<EventStoreDBClient['readStream']>) => {
        reads++;
        return target.readStream(...args);
      };
    },
  });
  return { client: counted, reads: () => reads };
}

test("expected 'new': decided on the initial state without reading; a stream that exists after all is read and decided on", async () => {
  const stream = newStream();
  const { client: counted, reads } = countingReads();
  const created = await counters({ client: counted }).handle(stream, { type: 'Increment', by: 2 }, { metadata, expected: 'new' });
  assert.equal([created.revision, reads()], [0n, 0]);

  const again = await counters({ client: counted }).handle(stream, { type: 'IncrementUpTo', limit: 5 }, { metadata, expected: 'new' });
  assert.equal(
    [again.events, again.state, again.revision, again.attempts],
    [[{ type: 'Incremented', data: { by: 1 } }], { value: 3 }, 1n, 1],
  );
  assert.is(reads(), 1, 'read once, after the append conflicted');

  try {
    await counters({ client: counted }).handle(stream, { type: 'Increment', by: 1 }, { metadata, expected: 'new', retry: 'never' });
    assert.unreachable('without retry, a stream that exists is a conflict');
  } catch (error) {
    assert.instance(error, VersionConflictError);
  }
});

test('with a cache: one read per stream, then appends only; a stale state conflicts, catches up the newer events and decides again', async () => {
  const stream = newStream();
  const { client: counted, reads } = countingReads();
  const cached = counters({ client: counted, cache: { maxStreams: 10 } });
  await cached.handle(stream, { type: 'Increment', by: 1 }, { metadata });
  await cached.handle(stream, { type: 'Increment', by: 1 }, { metadata });
  assert.is(reads(), 1);
  assert.equal(cached.cached(stream), { state: { value: 2 }, revision: 1n });

  await counters().handle(stream, { type: 'Increment', by: 10 }, { metadata }); // another writer
  let decoded = 0;
  const countingCodec: EventCodec<CounterEvent> = { ...codec, decode: (stored) => (decoded++, codec.decode(stored)) };
  const catching = counters({ client: counted, cache: { maxStreams: 10 }, codec: countingCodec });
  catching.seed(stream, { value: 2 }, 1n);
  const outcome = await catching.handle(stream, { type: 'Increment', by: 1 }, { metadata });
  assert.equal([outcome.state, outcome.revision, outcome.attempts], [{ value: 13 }, 3n, 1]);
  assert.is(decoded, 1, 'only the event after the cached revision was read');
});

test('with a cache: a decision of nothing, or a refusal, on a state not read just now is taken again on the stream', async () => {
  const stream = newStream();
  await counters().handle(stream, { type: 'Increment', by: 3 }, { metadata });
  const cached = counters({ cache: { maxStreams: 10 } });
  await cached.load(stream);
  await counters().handle(stream, { type: 'Reset', reason: 'another writer' }, { metadata }); // the stream is at 1 now
  const outcome = await cached.handle(stream, { type: 'IncrementUpTo', limit: 2 }, { metadata });
  assert.equal(
    [outcome.events.length, outcome.state],
    [1, { value: 2 }],
    'at 3 in memory nothing is left to do; on the stream, at 1, there is',
  );

  const refusing = commandHandler({
    client,
    codec,
    cache: { maxStreams: 10 },
    decider: {
      ...counter,
      decide: (command: CounterCommand, state: CounterState) => {
        if (state.value > 10) throw new Error('too high');
        return counter.decide(command, state);
      },
    },
  });
  refusing.seed(stream, { value: 50 }, 0n); // what the stream said before the reset, as far as this test goes
  assert.equal((await refusing.handle(stream, { type: 'Increment', by: 1 }, { metadata })).state, { value: 3 });
});

test('with a cache of one stream, the one used longest ago is forgotten', async () => {
  const [a, b] = [newStream(), newStream()];
  const cached = counters({ cache: { maxStreams: 1 } });
  await cached.handle(a, { type: 'Increment', by: 1 }, { metadata });
  await cached.handle(b, { type: 'Increment', by: 1 }, { metadata });
  assert.equal([cached.cached(a), cached.cached(b)], [undefined, { state: { value: 1 }, revision: 0n }]);
  cached.seed(b, { value: 0 }, 0n);
  cached.seed(b, { value: 9 }, -1n);
  assert.equal(cached.cached(b), { state: { value: 0 }, revision: 0n }, 'an older revision never replaces a newer one');
});

test('the readiness check passes against a running server and fails fast against a dead one', async () => {
  await eventStoreReadinessCheck(client).check(new AbortController().signal);

  const dead = await startEmulatorWithClient();
  const deadClient = dead.newClient();
  await dead.emulator.stop();
  const started = Date.now();
  let failed = false;
  try {
    await eventStoreReadinessCheck(deadClient, { timeoutMs: 300 }).check(new AbortController().signal);
  } catch {
    failed = true;
  }
  assert.ok(failed, 'a stopped server is not ready');
  assert.ok(Date.now() - started < 2000, 'within the deadline');
  await dead.close();
});

test.run();
