import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAtOrAfter, positionFromJson, positionToJson } from './position';

test('positions round-trip through JSON as decimal strings, beyond 2^53', () => {
  const position = { commit: 9007199254740993n, prepare: 9007199254740993n };
  const json = positionToJson(position);
  assert.equal(json, { commit: '9007199254740993', prepare: '9007199254740993' });
  assert.equal(positionFromJson(JSON.parse(JSON.stringify(json))), position);
});

test('a malformed position is refused', () => {
  assert.throws(() => positionFromJson({ commit: '-1', prepare: '0' }), /not a log position/);
  assert.throws(() => positionFromJson({ commit: '1e3', prepare: '0' }), /not a log position/);
});

test('isAtOrAfter compares commit, then prepare', () => {
  assert.ok(isAtOrAfter({ commit: 10n, prepare: 10n }, { commit: 10n, prepare: 10n }));
  assert.ok(isAtOrAfter({ commit: 11n, prepare: 0n }, { commit: 10n, prepare: 10n }));
  assert.not.ok(isAtOrAfter({ commit: 9n, prepare: 20n }, { commit: 10n, prepare: 10n }));
  assert.not.ok(isAtOrAfter({ commit: 10n, prepare: 9n }, { commit: 10n, prepare: 10n }));
});

test.run();
