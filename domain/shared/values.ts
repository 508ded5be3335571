import { z } from 'zod';

/**
 * Identifiers become part of stream names (`inventory-{sku}`, `order-{orderId}`), so they are
 * kept to characters that read unambiguously in a stream name and in a URL.
 */
const identifier = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(100, `${what} must be at most 100 characters`)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, `${what} may contain only letters, digits, '.', '_' and '-'`);

export const Sku = identifier('SKU');
export type Sku = z.output<typeof Sku>;

export const OrderId = identifier('order id');
export type OrderId = z.output<typeof OrderId>;

/** Customer ids come from the identity provider (a JWT `sub`), whose format is not ours to restrict. */
export const CustomerId = z.string().min(1).max(200);
export type CustomerId = z.output<typeof CustomerId>;

/** Units of one product. Fractions of a unit are not sold. */
export const Quantity = z.number().int().positive();
export type Quantity = z.output<typeof Quantity>;

/** An instant in UTC, ISO 8601 (`2025-01-31T12:00:00.000Z`). The domain never reads a clock: callers pass time in. */
export const Timestamp = z.iso.datetime();
export type Timestamp = z.output<typeof Timestamp>;

/**
 * For text in a command (a product's name, a payment token): no control characters (U+0000–U+001F,
 * U+007F–U+009F) and no lone surrogates (half of a UTF-16 pair, not a character at all). They
 * have no place there, no screen shows them, and a read model cannot always store them:
 * PostgreSQL text has no U+0000 and jsonb refuses a lone surrogate, so one such event would
 * stop a projection. Events keep the schema they were written with, since the log holds what
 * earlier releases accepted.
 */
export function withoutControlCharacters(schema: z.ZodString, what: string): z.ZodString {
  return schema.regex(/^[^\p{Cc}\p{Cs}]*$/u, `${what} must not contain control characters`);
}
