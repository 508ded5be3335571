import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromSubjectToken, subjectToken } from './subjects';

test('ids that are already tokens stay as they are', () => {
  assert.is(subjectToken('c1'), 'c1');
  assert.is(subjectToken('user_42-x'), 'user_42-x');
});

test('anything a subject token may not hold is escaped, and unescaping gives the id back', () => {
  for (const id of ['a.b', 'a*b', 'a>b', 'with space', 'auth0|12345', 'émile', '%', '', '100%.sure']) {
    const token = subjectToken(id);
    assert.ok(/^[A-Za-z0-9_%-]+$/.test(token), `${JSON.stringify(id)} → ${token}`);
    assert.is(fromSubjectToken(token), id);
  }
  assert.is(subjectToken('a.b'), 'a%2Eb');
});

test.run();
