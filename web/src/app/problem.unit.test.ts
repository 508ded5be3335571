import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fieldsByPointer, isProblem, placeProblem, problemSummary, toProblem, type Problem } from './problem';

const validation = (errors: Problem['errors']): Problem => ({
  type: 'urn:checkout:problem:validation',
  title: 'Invalid request',
  status: 400,
  errors,
});

test('each error lands beside the field its pointer names, nothing in the alert', () => {
  const fieldOf = fieldsByPointer({ '/sku': 'sku', '/name': 'name', '/price/amount': 'price', '/price/currency': 'currency' });
  const placed = placeProblem(
    validation([
      { in: 'body', path: '/sku', message: 'SKU must be…' },
      { in: 'body', path: '/price/currency', message: 'currency must be an ISO 4217 code such as EUR' },
      { in: 'body', path: '/price/amount', message: 'must be an integer' },
    ]),
    fieldOf,
  );
  assert.equal(placed, {
    fields: { sku: ['SKU must be…'], currency: ['currency must be an ISO 4217 code such as EUR'], price: ['must be an integer'] },
    general: [],
  });
});

test('a deeper pointer lands on its nearest field; a sibling name does not match', () => {
  const fieldOf = fieldsByPointer({ '/price': 'price', '/': 'form' });
  assert.is(fieldOf('/price/amount', 'body'), 'price');
  assert.is(fieldOf('/prices', 'body'), 'form');
  assert.is(fieldsByPointer({ '/price': 'price' })('/prices', 'body'), undefined);
});

test('wildcards pick the line, and the field name can carry it', () => {
  const fieldOf = fieldsByPointer({ '/lines/*/quantity': 'quantity-$1', '/lines/*/sku': 'line-$1', '/paymentToken': 'card' });
  assert.is(fieldOf('/lines/2/quantity', 'body'), 'quantity-2');
  assert.is(fieldOf('/lines/0/sku', 'body'), 'line-0');
  assert.is(fieldOf('/lines', 'body'), undefined);
  assert.is(fieldOf('/paymentToken', 'body'), 'card');
});

test('what names no field goes to the alert with its place, after the title', () => {
  const placed = placeProblem(
    validation([
      { in: 'body', path: '/', message: 'Unrecognized key: "qty"' },
      { in: 'body', path: '/sku', message: 'required' },
    ]),
    fieldsByPointer({ '/sku': 'sku' }),
  );
  assert.equal(placed, { fields: { sku: ['required'] }, general: ['Invalid request', 'body: Unrecognized key: "qty"'] });
});

test('a problem without field errors is one alert line: title and detail', () => {
  const problem: Problem = {
    type: 'urn:checkout:problem:already-registered',
    title: 'Unprocessable',
    status: 422,
    detail: 'MUG-1 is already registered',
  };
  assert.equal(
    placeProblem(problem, () => 'x'),
    { fields: {}, general: ['Unprocessable: MUG-1 is already registered'] },
  );
  assert.is(problemSummary({ type: 't', title: 'Same', status: 409, detail: 'Same' }), 'Same');
});

test('any error body becomes a problem to show', () => {
  assert.ok(isProblem({ title: 'x', status: 400 }));
  assert.not.ok(isProblem('<html>Bad gateway</html>'));
  assert.equal(toProblem(502, '<html>'), { type: 'about:blank', status: 502, title: 'The shop answered 502' });
  assert.equal(toProblem(0, undefined).title, 'The shop cannot be reached');
});

test.run();
