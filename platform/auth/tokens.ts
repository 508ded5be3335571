/**
 * Bearer tokens: JWTs (jose) carrying who the caller is (`sub`) and what they may do (a role).
 * Two ways to verify them, behind one `TokenVerifier`: an identity provider's RS256/ES256 tokens
 * against its JWKS (oidc.ts, production), or HS256 with one shared secret (JWT_SECRET, this file:
 * development and tests, and what `mintToken` signs). Both apply the same claim checks (claims.ts):
 * `exp` required, `iat` not in the future, a lifetime no longer than the configured maximum.
 */
import { webcrypto } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import { CLOCK_TOLERANCE_SECONDS, checkClaims, type ClaimRules } from './claims';
import type { Role, VerifyResult } from './principal';

/** Checks a bare token (no "Bearer "): one per service, built from its configuration (verifierFromEnv). */
export interface TokenVerifier {
  /** `shared-secret` (HS256, development) or `oidc` (an identity provider's JWKS). */
  readonly kind: 'shared-secret' | 'oidc';
  verify(token: string): Promise<VerifyResult>;
}

const ALGORITHM = 'HS256';

// jose turns raw key bytes into a CryptoKey on every call (an import through WebCrypto, about
// half of an HS256 verification's CPU): import each secret once. A service has one secret; the
// bound only keeps a caller that passes many (tests) from holding them all.
const importedKeys = new Map<string, Promise<webcrypto.CryptoKey>>();
const MAX_IMPORTED_KEYS = 16;

function keyOf(secret: string): Promise<webcrypto.CryptoKey> {
  let key = importedKeys.get(secret);
  if (!key) {
    if (importedKeys.size >= MAX_IMPORTED_KEYS) importedKeys.delete(importedKeys.keys().next().value!);
    key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    importedKeys.set(secret, key);
  }
  return key;
}

export interface MintTokenOptions {
  sub: string;
  role: Role;
  secret: string;
  /** A jose time span (`'15m'`, `'1h'`, `'7d'`) or seconds; default one hour. */
  expiresIn?: string | number;
  /** Seconds since the epoch the token is issued at; default now. Tests use it to mint old tokens. */
  issuedAt?: number;
}

export async function mintToken({ sub, role, secret, expiresIn = '1h', issuedAt }: MintTokenOptions): Promise<string> {
  const iat = issuedAt ?? Math.floor(Date.now() / 1000);
  const exp = typeof expiresIn === 'number' ? iat + expiresIn : expiresIn;
  return new SignJWT({ role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(typeof exp === 'number' ? exp : relativeTo(iat, exp))
    .sign(await keyOf(secret));
}

// jose resolves a relative span against the wall clock; anchor it to `issuedAt` instead.
function relativeTo(iat: number, span: string): number {
  const match = /^(\d+)\s*(s|sec|secs|m|min|mins|h|hr|hrs|d|day|days|w|week|weeks)$/.exec(span.trim());
  if (!match) throw new Error(`expiresIn "${span}" is not a span like 90s, 15m, 1h, 7d`);
  const amount = Number(match[1]);
  const unit = match[2]!.charAt(0);
  const seconds = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[unit] ?? 1;
  return iat + amount * seconds;
}

/** How a service is told to check tokens: its verifier, or (tests, development) an HS256 secret. */
export type TokenSource = { tokens: TokenVerifier } | { jwtSecret: string };

export function tokensOf(source: TokenSource): string | TokenVerifier {
  return 'tokens' in source ? source.tokens : source.jwtSecret;
}

export interface SharedSecretOptions {
  secret: string;
  /** Longest `exp` − `iat` accepted (TOKEN_MAX_LIFETIME_S; default a day). */
  maxLifetimeSeconds?: number;
}

/** HS256 with a shared secret; the role is the token's `role` claim (what `mintToken` writes). */
export function sharedSecretVerifier({ secret, maxLifetimeSeconds }: SharedSecretOptions): TokenVerifier {
  const rules: ClaimRules = { rolesClaim: 'role', ...(maxLifetimeSeconds ? { maxLifetimeSeconds } : {}) };
  return {
    kind: 'shared-secret',
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, await keyOf(secret), {
          algorithms: [ALGORITHM],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['sub', 'exp'],
        });
        return checkClaims(payload, rules);
      } catch (error) {
        return refusalOf(error);
      }
    },
  };
}

/** What a jose error tells the caller (never more: the detail goes back to whoever sent the token). */
export function refusalOf(error: unknown): VerifyResult {
  if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired_token', detail: 'The token has expired' };
  if (error instanceof errors.JWTClaimValidationFailed) {
    const detail =
      error.reason === 'missing' ? `The token has no ${error.claim} claim` : `The token's ${error.claim} claim is not accepted here`;
    return { ok: false, reason: 'invalid_token', detail };
  }
  return { ok: false, reason: 'invalid_token', detail: 'The token is not valid' };
}

// A secret given where a verifier is expected (tests, older callers) gets one verifier, kept.
const secretVerifiers = new Map<string, TokenVerifier>();
function verifierOf(tokens: string | TokenVerifier): TokenVerifier {
  if (typeof tokens !== 'string') return tokens;
  let verifier = secretVerifiers.get(tokens);
  if (!verifier) {
    if (secretVerifiers.size >= MAX_IMPORTED_KEYS) secretVerifiers.delete(secretVerifiers.keys().next().value!);
    verifier = sharedSecretVerifier({ secret: tokens });
    secretVerifiers.set(tokens, verifier);
  }
  return verifier;
}

/** Verifies a bare token (e.g. from a socket.io handshake) with a verifier, or an HS256 secret. */
export async function verifyToken(token: string, tokens: string | TokenVerifier): Promise<VerifyResult> {
  return verifierOf(tokens).verify(token);
}

/** Verifies an `Authorization` header value of the form `Bearer <token>`. */
export async function verifyBearer(header: string | undefined, tokens: string | TokenVerifier): Promise<VerifyResult> {
  if (header === undefined || header.trim() === '') {
    return { ok: false, reason: 'missing_token', detail: 'This request needs an Authorization: Bearer <token> header' };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return { ok: false, reason: 'malformed_header', detail: 'The Authorization header must be "Bearer <token>"' };
  return verifyToken(match[1]!, tokens);
}
