/**
 * The one token verifier of a service, from its `authEnv` settings (platform/config.ts): the
 * identity provider's when OIDC_ISSUER is set, else HS256 with JWT_SECRET. `withTokenRules` has
 * already made sure exactly one of them is set.
 */
import { oidcVerifier } from './oidc';
import { sharedSecretVerifier, type TokenVerifier } from './tokens';

export interface TokenSettings {
  JWT_SECRET?: string | undefined;
  OIDC_ISSUER?: string | undefined;
  OIDC_AUDIENCE?: string[] | undefined;
  OIDC_JWKS_URL?: string | undefined;
  OIDC_ROLES_CLAIM: string;
  TOKEN_MAX_LIFETIME_S: number;
}

export function verifierFromEnv(settings: TokenSettings): TokenVerifier {
  if (settings.OIDC_ISSUER) {
    if (!settings.OIDC_AUDIENCE?.length) throw new Error('OIDC_AUDIENCE is required with OIDC_ISSUER');
    return oidcVerifier({
      issuer: settings.OIDC_ISSUER,
      audience: settings.OIDC_AUDIENCE,
      rolesClaim: settings.OIDC_ROLES_CLAIM,
      maxLifetimeSeconds: settings.TOKEN_MAX_LIFETIME_S,
      ...(settings.OIDC_JWKS_URL ? { jwksUrl: settings.OIDC_JWKS_URL } : {}),
    });
  }
  if (!settings.JWT_SECRET) throw new Error('JWT_SECRET or OIDC_ISSUER is required');
  return sharedSecretVerifier({ secret: settings.JWT_SECRET, maxLifetimeSeconds: settings.TOKEN_MAX_LIFETIME_S });
}
