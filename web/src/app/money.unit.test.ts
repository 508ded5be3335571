import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatMoney, fractionDigits, minorUnitsToDecimal, parseMoneyInput } from './money';

test('currencies have their own number of decimals', () => {
  assert.equal([fractionDigits('EUR'), fractionDigits('JPY'), fractionDigits('BHD')], [2, 0, 3]);
});

test('minor units become a decimal string without floating point', () => {
  assert.is(minorUnitsToDecimal(1299, 2), '12.99');
  assert.is(minorUnitsToDecimal(5, 2), '0.05');
  assert.is(minorUnitsToDecimal(-5, 2), '-0.05');
  assert.is(minorUnitsToDecimal(0, 2), '0.00');
  assert.is(minorUnitsToDecimal(1500, 0), '1500');
  assert.is(minorUnitsToDecimal(1234, 3), '1.234');
  assert.is(minorUnitsToDecimal(Number.MAX_SAFE_INTEGER, 2), '90071992547409.91');
  // Sums past 2^53 arrive as decimal strings (GET /stats/sales) and keep every digit.
  assert.is(minorUnitsToDecimal('18014398509481982', 2), '180143985094819.82');
  assert.is(minorUnitsToDecimal('-7', 2), '-0.07');
});

test('formats with the currency and its decimals', () => {
  assert.is(formatMoney({ amount: 1299, currency: 'EUR' }, 'en-GB'), '€12.99');
  assert.is(formatMoney({ amount: 1299, currency: 'EUR' }, 'de-DE'), '12,99\u00a0€');
  assert.is(formatMoney({ amount: 1500, currency: 'JPY' }, 'en-GB'), 'JP¥1,500');
  assert.is(formatMoney({ amount: 100000, currency: 'USD' }, 'en-US'), '$1,000.00');
  assert.is(formatMoney({ amount: Number.MAX_SAFE_INTEGER, currency: 'USD' }, 'en-US'), '$90,071,992,547,409.91');
});

test('an unknown-to-Intl code still shows the amount and the code', () => {
  assert.is(formatMoney({ amount: 1299, currency: 'X1Z' }, 'en-GB'), '12.99 X1Z');
});

test('parses what a person types into minor units', () => {
  assert.equal(parseMoneyInput('12.99', 'EUR'), { ok: true, amount: 1299 });
  assert.equal(parseMoneyInput(' 12,5 ', 'EUR'), { ok: true, amount: 1250 });
  assert.equal(parseMoneyInput('12', 'EUR'), { ok: true, amount: 1200 });
  assert.equal(parseMoneyInput('0.29', 'EUR'), { ok: true, amount: 29 });
  assert.equal(parseMoneyInput('1500', 'JPY'), { ok: true, amount: 1500 });
});

test('refuses what is not a price, rather than guessing', () => {
  assert.equal(parseMoneyInput('', 'EUR'), { ok: false, message: 'Enter a price' });
  assert.equal(parseMoneyInput('abc', 'EUR'), { ok: false, message: 'Enter a price such as 12.99' });
  assert.equal(parseMoneyInput('-1', 'EUR'), { ok: false, message: 'Enter a price such as 12.99' });
  assert.equal(parseMoneyInput('1.999', 'EUR'), { ok: false, message: 'EUR has at most 2 decimals' });
  assert.equal(parseMoneyInput('1.5', 'JPY'), { ok: false, message: 'JPY has no decimals' });
  assert.equal(parseMoneyInput('99999999999999999', 'EUR'), { ok: false, message: 'That price is too large' });
});

test.run();
