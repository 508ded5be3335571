/**
 * Money as the APIs carry it: integer minor units and an ISO 4217 code. Formatting and parsing
 * go through decimal strings, never through floating point, so 2^53 − 1 cents print exactly and
 * "0.29" is 29 cents, not 28.999….
 */
export interface Money {
  amount: number;
  currency: string;
}

/** What can be shown: a sum may pass 2^53, so the APIs send those as decimal strings (the sales figures). */
export interface MoneyToShow {
  amount: number | string;
  currency: string;
}

/** How many decimals the currency has (EUR 2, JPY 0, BHD 3); 2 for a code Intl does not know. */
export function fractionDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** `1299` with 2 digits → `"12.99"`; `-5` → `"-0.05"`; `"18014398509481982"` → `"180143985094819.82"`. */
export function minorUnitsToDecimal(amount: number | string, digits: number): string {
  const whole = typeof amount === 'string' ? amount.trim() : String(Math.trunc(amount));
  const sign = whole.startsWith('-') ? '-' : '';
  const text = whole.replace(/^[-+]/, '').padStart(digits + 1, '0');
  if (digits === 0) return sign + text;
  return `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** `{ amount: 1299, currency: 'EUR' }` → `€12.99` (in the given locale, default the browser's). */
export function formatMoney(money: MoneyToShow, locale?: string): string {
  const digits = fractionDigits(money.currency);
  const decimal = minorUnitsToDecimal(money.amount, digits);
  try {
    const format = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: money.currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    // A decimal string keeps every digit (Intl.NumberFormat v3 formats strings exactly).
    return format.format(decimal as unknown as number);
  } catch {
    return `${decimal} ${money.currency}`;
  }
}

export type ParsedAmount = { ok: true; amount: number } | { ok: false; message: string };

/**
 * What a person typed as a price ("12.99", "12,99", "12") → minor units of `currency`.
 * Refuses more decimals than the currency has rather than rounding someone's price.
 */
export function parseMoneyInput(text: string, currency: string): ParsedAmount {
  const digits = fractionDigits(currency);
  const trimmed = text.trim().replace(',', '.');
  if (trimmed === '') return { ok: false, message: 'Enter a price' };
  const match = /^(\d+)(?:\.(\d*))?$/.exec(trimmed);
  if (!match) return { ok: false, message: 'Enter a price such as 12.99' };
  const whole = match[1]!;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) {
    return { ok: false, message: digits === 0 ? `${currency} has no decimals` : `${currency} has at most ${digits} decimals` };
  }
  const amount = Number(whole + fraction.padEnd(digits, '0'));
  if (!Number.isSafeInteger(amount)) return { ok: false, message: 'That price is too large' };
  return { ok: true, amount };
}
