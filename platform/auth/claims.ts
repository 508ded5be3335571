/**
 * The checks every accepted token passes, whoever signed it (the identity provider or the
 * development secret): a subject we can store and show, an expiry (`exp`, required by the
 * verifier), an issue time not in the future, a lifetime no longer than the maximum — a token
 * valid for a year is a leaked token valid for a year — and a role the shop knows.
 */
import type { JWTPayload } from 'jose';
import { isAcceptableSubject, roles, SUBJECT_RULE, type Role, type VerifyResult } from './principal';

// Small clock differences between machines must not reject a token that was just minted.
export const CLOCK_TOLERANCE_SECONDS = 5;

/** Longest token lifetime (`exp` − `iat`) accepted by default: a working day and then some. */
export const DEFAULT_MAX_LIFETIME_SECONDS = 24 * 60 * 60;

export interface ClaimRules {
  /** Where the roles are: a claim name or a dotted path (`realm_access.roles`); a string or an array of strings. */
  rolesClaim: string;
  /** Longest `exp` − `iat` accepted (default a day). */
  maxLifetimeSeconds?: number;
  /** Seconds since the epoch; default now. */
  now?: number;
}

/** The value at a dotted path of the payload (`realm_access.roles`), or undefined. */
export function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const name of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

/**
 * The one role a principal acts in. An identity provider hands out lists of roles, of which ours
 * are two: someone who holds both acts as admin, who sees everything a customer would.
 */
export function roleFrom(value: unknown): Role | undefined {
  const held =
    typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  return [...roles].reverse().find((role) => held.includes(role));
}

export function checkClaims(
  payload: JWTPayload,
  { rolesClaim, maxLifetimeSeconds = DEFAULT_MAX_LIFETIME_SECONDS, now = Math.floor(Date.now() / 1000) }: ClaimRules,
): VerifyResult {
  if (!isAcceptableSubject(payload.sub)) return { ok: false, reason: 'invalid_token', detail: SUBJECT_RULE };
  const { exp, iat } = payload;
  if (typeof exp !== 'number') return { ok: false, reason: 'invalid_token', detail: 'The token has no exp claim' };
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat)))
    return { ok: false, reason: 'invalid_token', detail: "The token's iat claim is not a time" };
  if (iat !== undefined && iat > now + CLOCK_TOLERANCE_SECONDS)
    return { ok: false, reason: 'invalid_token', detail: 'The token claims to be issued in the future (iat)' };
  // Without `iat`, what is left of it counts: no token is accepted for longer than the maximum.
  const lifetime = exp - (iat ?? now);
  if (lifetime > maxLifetimeSeconds)
    return {
      ok: false,
      reason: 'invalid_token',
      detail: `The token's lifetime (exp - iat) is over the ${maxLifetimeSeconds} s this service accepts`,
    };
  const role = roleFrom(claimAt(payload, rolesClaim));
  if (!role)
    return {
      ok: false,
      reason: 'no_role',
      detail: `The token grants none of the shop's roles (${roles.join(', ')}) in its ${rolesClaim} claim`,
    };
  return { ok: true, principal: { sub: payload.sub, role } };
}
