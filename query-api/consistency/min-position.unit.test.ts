import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMinPosition, positionText, requestedPosition } from './min-position';

test('a position is a commit, a commit/prepare pair, or the command’s JSON', () => {
  assert.equal(parseMinPosition('4711'), { commit: 4711n, prepare: 4711n });
  assert.equal(parseMinPosition(' 4711/4700 '), { commit: 4711n, prepare: 4700n });
  assert.equal(parseMinPosition('{"commit":"18446744073709551615","prepare":"1"}'), { commit: 18446744073709551615n, prepare: 1n });
  for (const bad of ['', '-1', '1.5', 'abc', '1/', '/1', '{"commit":1,"prepare":1}', '{', '123456789012345678901']) {
    assert.is(parseMinPosition(bad), undefined, bad);
  }
});

test('header and query together: the later one counts', () => {
  assert.equal(requestedPosition('10', '12/12'), { commit: 12n, prepare: 12n });
  assert.equal(requestedPosition('13', '12'), { commit: 13n, prepare: 13n });
  assert.is(requestedPosition(undefined, undefined), undefined);
  assert.is(positionText({ commit: 5n, prepare: 5n }), '5');
  assert.is(positionText({ commit: 5n, prepare: 4n }), '5/4');
});

test.run();
