/**
 * Who a caller is and what they may do, once a token is accepted — and why one is not. Apart from
 * tokens.ts so the claim checks (claims.ts) can name them without importing the verifiers that use
 * those checks.
 */
export const roles = ['customer', 'admin'] as const;
export type Role = (typeof roles)[number];

export interface Principal {
  sub: string;
  role: Role;
}

/**
 * Why a token is not accepted: each gets its own 401 detail — except `no_role`, a genuine token of
 * someone the shop gives no role (403: signing in again would not help).
 */
export type AuthFailureReason = 'missing_token' | 'malformed_header' | 'invalid_token' | 'expired_token' | 'no_role';

export type VerifyResult = { ok: true; principal: Principal } | { ok: false; reason: AuthFailureReason; detail: string };

// A subject is the identity provider's to format, but it becomes a customer id in read models,
// room names, NATS subjects and log lines: 1 to 200 printable characters. No control characters
// (a newline or an ESC forges log lines and terminal output), no lone surrogate (jsonb refuses
// it), no line/paragraph separator and no bidirectional override (they disguise what is shown).
export const MAX_SUBJECT_LENGTH = 200;
const unprintable = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;
export function isAcceptableSubject(sub: unknown): sub is string {
  if (typeof sub !== 'string' || sub.length === 0) return false;
  // Counted in code points, as a person counts characters (an emoji is one).
  return [...sub].length <= MAX_SUBJECT_LENGTH && !unprintable.test(sub);
}
export const SUBJECT_RULE = `The token's subject (sub) must be 1 to ${MAX_SUBJECT_LENGTH} printable characters`;
