import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EVENT_ID_NAMESPACE, deterministicEventId, deterministicEventIds, uuidV5 } from './event-ids';

// Expected values computed independently with Python's uuid.uuid5.
test('uuidV5 matches the RFC algorithm', () => {
  assert.is(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
  assert.is(uuidV5('ünïcode', '6ba7b811-9dad-11d1-80b4-00c04fd430c8'), 'a1461847-ff8f-51b5-a530-79217721296c');
});

test('an event id is the v5 UUID of key#index in the project namespace', () => {
  assert.is(EVENT_ID_NAMESPACE, 'b3f4d0f2-6a53-4c1e-9d38-2f7e0c5a91e4');
  assert.is(deterministicEventId('order-1/key-1', 0), '7ae9a145-28c9-5aa5-a627-e6ad0e8ef7b8');
});

test('same key and index → same id; any difference → a different id', () => {
  assert.is(deterministicEventId('k', 1), deterministicEventId('k', 1));
  const ids = new Set([
    deterministicEventId('k', 0),
    deterministicEventId('k', 1),
    deterministicEventId('k2', 0),
    deterministicEventId('k#1', 0),
  ]);
  assert.is(ids.size, 4);
});

test('deterministicEventIds numbers the events from 0', () => {
  assert.equal(deterministicEventIds('k', 3), [deterministicEventId('k', 0), deterministicEventId('k', 1), deterministicEventId('k', 2)]);
  assert.equal(deterministicEventIds('k', 0), []);
});

test('a bad index or namespace is refused', () => {
  assert.throws(() => deterministicEventId('k', -1), /not a whole number/);
  assert.throws(() => deterministicEventId('k', 1.5), /not a whole number/);
  assert.throws(() => uuidV5('x', 'not-a-uuid'), /is not a UUID/);
});

test.run();
