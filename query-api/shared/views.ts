/** Shapes shared by several routes' answers, and how rows become them. */
import { z } from 'zod';
import type { Principal } from '../../platform/auth';

export const Money = z
  .object({ amount: z.number().int(), currency: z.string() })
  .meta({ id: 'Money', description: 'Integer minor units (cents) and an ISO 4217 code.' });

export const Timestamp = z.string().meta({ description: 'ISO 8601, UTC' });

/** pg gives `timestamptz` as Date; rows written from JSON may hold strings. */
export function iso(value: Date | string): string;
export function iso(value: Date | string | null): string | null;
export function iso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** A customer reads only their own things; an admin reads everyone's. */
export function mayRead(principal: Principal, ownerId: string): boolean {
  return principal.role === 'admin' || principal.sub === ownerId;
}

/** `?limit=`: how many items a page holds. */
export function limitParam(defaultLimit: number, max: number) {
  return z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(defaultLimit)
    .meta({ description: `Items per page, 1 to ${max} (default ${defaultLimit}).` });
}
