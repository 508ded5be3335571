import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkoutStream, inventoryStream, orderStream, parseStreamName, paymentStream } from './stream-names';

test('a stream name built for an aggregate parses back to its category and id', () => {
  assert.equal(parseStreamName(orderStream('o-1')), { category: 'order', id: 'o-1' });
  assert.equal(parseStreamName(inventoryStream('MUG-1')), { category: 'inventory', id: 'MUG-1' });
  assert.equal(parseStreamName(paymentStream('o.2')), { category: 'payment', id: 'o.2' });
  assert.equal(parseStreamName(checkoutStream('o_3')), { category: 'checkout', id: 'o_3' });
});

test('any other stream name is not one of the aggregates’', () => {
  for (const name of ['idempotency-ab12', 'order', 'order-', '-order-1', 'orders-1', 'Order-1', '$all', '']) {
    assert.is(parseStreamName(name), undefined, name);
  }
});

test.run();
