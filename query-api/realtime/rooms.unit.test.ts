import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subjectToken } from '../../platform/nats/subjects';
import { roomOfSubject, roomsOf } from './rooms';

test('a customer is in their own room only; an admin also in the admin room', () => {
  assert.equal(roomsOf({ sub: 'alice', role: 'customer' }), ['user:alice']);
  assert.equal(roomsOf({ sub: 'root', role: 'admin' }), ['user:root', 'admin']);
});

test('subjects map to rooms; anything else under the prefix maps to none', () => {
  assert.equal(roomOfSubject('notifications.customer.alice', 'notifications'), {
    room: 'user:alice',
    audience: 'customer',
    userId: 'alice',
  });
  const odd = 'a.b c*>@x';
  assert.equal(roomOfSubject(`notifications.customer.${subjectToken(odd)}`, 'notifications'), {
    room: `user:${odd}`,
    audience: 'customer',
    userId: odd,
  });
  assert.equal(roomOfSubject('notifications.admin', 'notifications'), { room: 'admin', audience: 'admin', userId: '*' });
  for (const subject of [
    'notifications.customer',
    'notifications.customer.a.b',
    'notifications.other.x',
    'other.customer.alice',
    'notifications.customer.%ZZ',
  ]) {
    assert.is(roomOfSubject(subject, 'notifications'), undefined, subject);
  }
});

test.run();
