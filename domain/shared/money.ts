import { z } from 'zod';
import { DomainError } from './errors';

/** ISO 4217 alphabetic code. Not checked against the list: a new currency must not need a release. */
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'currency must be an ISO 4217 code such as EUR');
export type Currency = z.output<typeof Currency>;

/**
 * An amount of money in integer minor units (cents for EUR), never a float, so sums are exact.
 * Every amount this shop handles (a price, an order total, a payment) is positive, so zero and
 * negative amounts are rejected at the edge rather than checked in every rule.
 */
export const Money = z.object({
  amount: z.number().int('amount must be an integer number of minor units (cents)').positive('amount must be positive'),
  currency: Currency,
});
export type Money = z.output<typeof Money>;

export function sameMoney(a: Money, b: Money): boolean {
  return a.amount === b.amount && a.currency === b.currency;
}

/**
 * Multiplies and adds in minor units. Throws a validation error instead of losing precision
 * beyond Number.MAX_SAFE_INTEGER, and when the amounts are in different currencies.
 */
export function totalOf(items: ReadonlyArray<{ unitPrice: Money; quantity: number }>): Money {
  const first = items[0];
  if (!first) throw new DomainError('validation', 'cannot total an empty list');
  let amount = 0;
  for (const { unitPrice, quantity } of items) {
    if (unitPrice.currency !== first.unitPrice.currency) {
      throw new DomainError(
        'validation',
        `all prices must be in one currency, found ${first.unitPrice.currency} and ${unitPrice.currency}`,
      );
    }
    amount += unitPrice.amount * quantity;
  }
  if (!Number.isSafeInteger(amount)) throw new DomainError('validation', 'total is too large to represent exactly');
  return { amount, currency: first.unitPrice.currency };
}
