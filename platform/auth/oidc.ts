/**
 * An identity provider's access tokens (OIDC_ISSUER): RS256 or ES256 JWTs, verified against the
 * keys the provider publishes (its JWKS: `OIDC_JWKS_URL`, or the `jwks_uri` of its discovery
 * document `<issuer>/.well-known/openid-configuration`). jose's remote key set caches the keys and
 * fetches them again when a token names a key id it does not know — a rotated key — at most once
 * per cooldown (30 s), so a stream of tokens with made-up key ids cannot make us hammer the provider.
 * `iss`, `aud` and `exp` are required; then the same claim checks as every token (claims.ts).
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { CLOCK_TOLERANCE_SECONDS, checkClaims } from './claims';
import { refusalOf, type TokenVerifier } from './tokens';

/** Asymmetric only: an HS256 token "signed" with the provider's public key must not pass. */
export const OIDC_ALGORITHMS = ['RS256', 'ES256'] as const;

export interface OidcOptions {
  /** Exactly as in the tokens' `iss`. */
  issuer: string;
  /** The tokens' `aud` must contain one of these. */
  audience: readonly string[];
  /** Default: the discovery document's `jwks_uri`. */
  jwksUrl?: string;
  /** Default `roles`; Keycloak's realm roles are at `realm_access.roles`. */
  rolesClaim?: string;
  maxLifetimeSeconds?: number;
  /** How long a fetched key set is used before it is fetched again (jose's default: 10 minutes). */
  cacheMaxAgeMs?: number;
  /** Least time between two fetches for an unknown key id (jose's default: 30 s). */
  cooldownMs?: number;
  /** Longest wait for the discovery document or the JWKS (default 5 s). */
  timeoutMs?: number;
}

/**
 * The provider's keys cannot be fetched (down, slow, answering garbage): not the caller's fault,
 * so not a 401 — the route answers 503 and the socket handshake is refused as unavailable.
 */
export class IdentityProviderUnavailable extends Error {
  override readonly name = 'IdentityProviderUnavailable';
}

// Errors about the token are jose's subclasses; the base class, a timeout, an invalid key set or
// a non-jose error (fetch failed) are about reaching the provider.
function isProviderTrouble(error: unknown): boolean {
  return (
    !(error instanceof errors.JOSEError) ||
    error.constructor === errors.JOSEError ||
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid
  );
}

/** `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4). */
export function discoveryUrlOf(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

async function discoverJwksUrl(issuer: string, timeoutMs: number): Promise<URL> {
  const response = await fetch(discoveryUrlOf(issuer), { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`the discovery document ${discoveryUrlOf(issuer)} answered ${response.status}`);
  const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  // §4.3: the document must name the issuer it was fetched for, or it is someone else's.
  if (document.issuer !== issuer) throw new Error(`the discovery document names the issuer ${String(document.issuer)}, not ${issuer}`);
  if (typeof document.jwks_uri !== 'string' || !URL.canParse(document.jwks_uri)) throw new Error('the discovery document has no jwks_uri');
  return new URL(document.jwks_uri);
}

export function oidcVerifier(options: OidcOptions): TokenVerifier {
  const { issuer, audience, rolesClaim = 'roles', maxLifetimeSeconds, timeoutMs = 5000 } = options;
  const remoteOptions = {
    timeoutDuration: timeoutMs,
    ...(options.cacheMaxAgeMs ? { cacheMaxAge: options.cacheMaxAgeMs } : {}),
    ...(options.cooldownMs !== undefined ? { cooldownDuration: options.cooldownMs } : {}),
  };
  // Discovered on first use, not at start: a provider that is down must not keep a service from
  // starting, and a failed discovery is tried again by the next token.
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const keySet = (): Promise<JWTVerifyGetKey> => {
    keys ??= (options.jwksUrl ? Promise.resolve(new URL(options.jwksUrl)) : discoverJwksUrl(issuer, timeoutMs)).then((url) =>
      createRemoteJWKSet(url, remoteOptions),
    );
    keys.catch(() => (keys = undefined));
    return keys;
  };
  return {
    kind: 'oidc',
    async verify(token) {
      let getKey: JWTVerifyGetKey;
      try {
        getKey = await keySet();
      } catch (error) {
        throw new IdentityProviderUnavailable(`cannot find the identity provider's keys: ${(error as Error).message}`, { cause: error });
      }
      try {
        const { payload } = await jwtVerify(token, getKey, {
          algorithms: [...OIDC_ALGORITHMS],
          issuer,
          audience: [...audience],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['sub', 'exp', 'iss', 'aud'],
        });
        return checkClaims(payload, { rolesClaim, ...(maxLifetimeSeconds ? { maxLifetimeSeconds } : {}) });
      } catch (error) {
        if (isProviderTrouble(error))
          throw new IdentityProviderUnavailable(`cannot fetch the identity provider's keys: ${(error as Error).message}`, { cause: error });
        return refusalOf(error);
      }
    },
  };
}
