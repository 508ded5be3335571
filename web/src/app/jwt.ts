/**
 * What the console reads from a bearer token: who, which role, until when. The signature is the
 * APIs' business (they verify every request); the console only needs the claims to show who is
 * signed in, choose the customer or admin pages, and end the session when the token expires.
 */
export type Role = 'customer' | 'admin';

export interface TokenClaims {
  sub: string;
  role: Role;
  /** From `exp`; null when the token has none. */
  expiresAt: Date | null;
}

export type ReadToken = { ok: true; claims: TokenClaims } | { ok: false; message: string };

function decodeBase64Url(part: string): string {
  const base64 = part
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(part.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** The value at a dotted path of the payload (`realm_access.roles`). */
function claimAt(payload: Record<string, unknown>, path: string): unknown {
  let value: unknown = payload;
  for (const name of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

/**
 * The role, as the APIs decide it: the `role` claim of development tokens, or an identity
 * provider's list at `rolesClaim` (admin wins over customer, as on the server: platform/auth/claims.ts).
 */
function roleOf(payload: Record<string, unknown>, rolesClaim: string): Role | undefined {
  const value = typeof payload.role === 'string' ? payload.role : claimAt(payload, rolesClaim);
  const held = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  return held.includes('admin') ? 'admin' : held.includes('customer') ? 'customer' : undefined;
}

/** `rolesClaim`: where an identity provider's token lists the roles (the origin's `oidc.rolesClaim`; default `roles`). */
export function readToken(token: string, rolesClaim = 'roles'): ReadToken {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || parts.some((part) => part === ''))
    return { ok: false, message: 'This is not a token: a JWT has three parts separated by dots' };
  let payload: unknown;
  try {
    payload = JSON.parse(decodeBase64Url(parts[1]!));
  } catch {
    return { ok: false, message: 'The token cannot be read: its payload is not JSON' };
  }
  if (typeof payload !== 'object' || payload === null)
    return { ok: false, message: 'The token cannot be read: its payload is not an object' };
  const { sub, exp } = payload as Record<string, unknown>;
  const role = roleOf(payload as Record<string, unknown>, rolesClaim);
  if (typeof sub !== 'string' || sub === '') return { ok: false, message: 'The token names no user (sub)' };
  if (!role) return { ok: false, message: 'The token has no role the shop knows (customer or admin)' };
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp)))
    return { ok: false, message: 'The token has an unreadable expiry (exp)' };
  return { ok: true, claims: { sub, role, expiresAt: typeof exp === 'number' ? new Date(exp * 1000) : null } };
}

/** Milliseconds left (≤ 0: expired); Infinity for a token without expiry. */
export function timeLeft(claims: TokenClaims, now: Date): number {
  return claims.expiresAt ? claims.expiresAt.getTime() - now.getTime() : Number.POSITIVE_INFINITY;
}
