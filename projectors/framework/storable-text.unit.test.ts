import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withStorableText } from './storable-text';

test('U+0000 and lone surrogates become U+FFFD, in nested strings and keys; pairs stay whole', () => {
  const event = { name: 'Mug\u0000', lines: [{ note: ['a\ud800b'] }], 'k\u0000': 1, emoji: '💥', n: 3, none: null };
  assert.equal(withStorableText(event), {
    name: 'Mug\uFFFD',
    lines: [{ note: ['a\uFFFDb'] }],
    'k\uFFFD': 1,
    emoji: '💥',
    n: 3,
    none: null,
  });
  assert.equal(event.name, 'Mug\u0000', 'the event itself is not changed');
});

test('data with nothing to replace is answered as the same object', () => {
  const event = { orderId: 'o-1', lines: [{ sku: 'A', quantity: 1 }], total: { amount: 5, currency: 'EUR' }, emoji: '💥' };
  assert.is(withStorableText(event), event);
  assert.is(withStorableText('plain'), 'plain');
  assert.is(withStorableText(undefined), undefined);
});

test.run();
