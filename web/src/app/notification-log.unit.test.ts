import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lastReceivedId, mergeNotifications, unreadCount } from './notification-log';

const n = (id: string) => ({ id, type: 'OrderConfirmed' });

test('a notification that arrives again (catch-up, then live) is kept once', () => {
  const first = mergeNotifications([], [n('a'), n('b')]);
  const again = mergeNotifications(first.items, [n('b'), n('c'), n('c')]);
  assert.equal(
    again.items.map((x) => x.id),
    ['a', 'b', 'c'],
  );
  assert.equal(
    again.added.map((x) => x.id),
    ['c'],
  );
});

test('nothing new leaves the same list (no re-render for a duplicate)', () => {
  const known = [n('a')];
  const merged = mergeNotifications(known, [n('a')]);
  assert.is(merged.items, known);
  assert.equal(merged.added, []);
});

test('unread: what came after the last one seen', () => {
  const items = [n('a'), n('b'), n('c')];
  assert.is(unreadCount(items, 'a'), 2);
  assert.is(unreadCount(items, 'c'), 0);
  assert.is(unreadCount(items, null), 3);
  assert.is(unreadCount(items, 'gone'), 3);
  assert.is(unreadCount([], null), 0);
});

test('reconnects ask for what came after the newest one received', () => {
  assert.is(lastReceivedId([n('a'), n('b')]), 'b');
  assert.is(lastReceivedId([]), undefined);
});

test.run();
