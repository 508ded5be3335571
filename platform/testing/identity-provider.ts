/**
 * A small identity provider for tests, over real HTTP on loopback: an OpenID discovery document, a
 * JWKS with jose-generated RS256 and ES256 keys (rotated on demand), tokens issued for any claims a
 * test wants (wrong `iss`, future `iat`, …), and the Authorization Code flow with PKCE (S256) for
 * the console: `/authorize` signs in the fixed test user at once and redirects back with a code;
 * `/token` exchanges it once, for the right `code_verifier`, answering the console's origin with
 * CORS. Never imported by production code.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export type SigningAlgorithm = 'RS256' | 'ES256';

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export interface IssueOptions {
  sub: string;
  /** Written at `rolesClaim` (a dotted path builds nested objects). */
  roles?: readonly string[];
  /** Default: the current RS256 key. */
  key?: SigningKey;
  /** Default the provider's issuer. */
  iss?: string;
  /** Default the provider's audience; `null` leaves it out. */
  aud?: string | string[] | null;
  /** Seconds since the epoch; default now; `null` leaves it out. */
  iat?: number | null;
  /** Default iat + 300; `null` leaves it out. */
  exp?: number | null;
  /** Any further claims. */
  claims?: JWTPayload;
}

export interface TestUser {
  sub: string;
  roles: readonly string[];
}

export interface TestIdentityProvider {
  readonly issuer: string;
  readonly audience: string;
  readonly rolesClaim: string;
  readonly jwksUrl: string;
  /** The keys currently published, newest last. */
  readonly keys: readonly SigningKey[];
  /** Times the JWKS was fetched. */
  readonly jwksFetches: number;
  /** A new key of `alg`, signed with from now on; published at once unless `publish: false`. */
  rotate(alg: SigningAlgorithm, options?: { publish?: boolean }): Promise<SigningKey>;
  publish(key: SigningKey): void;
  /** Stop publishing a key (as a provider does once its tokens have expired). */
  retire(key: SigningKey): void;
  issue(options: IssueOptions): Promise<string>;
  /** Who `/authorize` signs in. */
  user: TestUser;
  /** The console's client: its id and the redirect URIs it may use (origins for CORS come from them). */
  readonly clientId: string;
  allowRedirect(uri: string): void;
  /** Token requests answered (exchanged codes). */
  readonly codesExchanged: number;
  stop(): Promise<void>;
}

export async function newSigningKey(
  alg: SigningAlgorithm,
  kid = `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`,
): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A token with `alg: none` and no signature, claims as given. */
export function unsignedToken(payload: JWTPayload): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

/** Sets `value` at a dotted path (`realm_access.roles`). */
function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const names = path.split('.');
  let node = target;
  for (const name of names.slice(0, -1)) node = (node[name] ??= {}) as Record<string, unknown>;
  node[names.at(-1)!] = value;
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | undefined;
  user: TestUser;
  scope: string;
}

export async function startTestIdentityProvider(
  options: { audience?: string; rolesClaim?: string; clientId?: string } = {},
): Promise<TestIdentityProvider> {
  const audience = options.audience ?? 'checkout-apis';
  const rolesClaim = options.rolesClaim ?? 'roles';
  const clientId = options.clientId ?? 'checkout-console';
  const keys: SigningKey[] = [await newSigningKey('RS256'), await newSigningKey('ES256')];
  let current = keys[0]!;
  let jwksFetches = 0;
  let codesExchanged = 0;
  const redirects = new Set<string>();
  const codes = new Map<string, PendingCode>();
  let issuer = '';

  async function issue(issueOptions: IssueOptions): Promise<string> {
    const key = issueOptions.key ?? current;
    const iat = issueOptions.iat === undefined ? Math.floor(Date.now() / 1000) : issueOptions.iat;
    const exp = issueOptions.exp === undefined ? (iat ?? Math.floor(Date.now() / 1000)) + 300 : issueOptions.exp;
    const payload: Record<string, unknown> = { ...issueOptions.claims, sub: issueOptions.sub, iss: issueOptions.iss ?? issuer };
    const aud = issueOptions.aud === undefined ? audience : issueOptions.aud;
    if (aud !== null) payload.aud = aud;
    if (iat !== null) payload.iat = iat;
    if (exp !== null) payload.exp = exp;
    if (issueOptions.roles) setAt(payload, rolesClaim, [...issueOptions.roles]);
    return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
  }

  const corsOrigins = () => new Set([...redirects].map((uri) => new URL(uri).origin));
  function cors(request: IncomingMessage, response: ServerResponse): void {
    const origin = request.headers.origin;
    if (origin && corsOrigins().has(origin)) {
      response.setHeader('access-control-allow-origin', origin);
      response.setHeader('vary', 'origin');
      response.setHeader('access-control-allow-methods', 'GET, POST');
      response.setHeader('access-control-allow-headers', 'content-type, accept');
    }
  }
  const json = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify(body));
  };

  async function exchange(form: URLSearchParams, response: ServerResponse): Promise<void> {
    const refuse = (error: string, description: string) => json(response, 400, { error, error_description: description });
    if (form.get('grant_type') !== 'authorization_code') return refuse('unsupported_grant_type', 'only authorization_code');
    const code = form.get('code') ?? '';
    const pending = codes.get(code);
    codes.delete(code);
    if (!pending) return refuse('invalid_grant', 'unknown or used code');
    if (form.get('client_id') !== pending.clientId) return refuse('invalid_client', 'not the client the code was issued to');
    if (form.get('redirect_uri') !== pending.redirectUri)
      return refuse('invalid_grant', 'redirect_uri differs from the authorization request');
    const verifier = form.get('code_verifier') ?? '';
    // RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge.
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || base64url(createHash('sha256').update(verifier).digest()) !== pending.challenge) {
      return refuse('invalid_grant', 'PKCE verification failed');
    }
    codesExchanged += 1;
    const lifetime = 900;
    const accessToken = await issue({
      sub: pending.user.sub,
      roles: pending.user.roles,
      exp: Math.floor(Date.now() / 1000) + lifetime,
      claims: { azp: clientId, scope: pending.scope },
    });
    const idToken = await issue({
      sub: pending.user.sub,
      aud: clientId,
      claims: { azp: clientId, ...(pending.nonce ? { nonce: pending.nonce } : {}) },
    });
    json(response, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime, id_token: idToken, scope: pending.scope });
  }

  const provider = {
    user: { sub: 'oidc-shopper', roles: ['customer'] } as TestUser,
  };

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', issuer);
      cors(request, response);
      if (request.method === 'OPTIONS') {
        response.writeHead(204);
        return response.end();
      }
      if (url.pathname === '/.well-known/openid-configuration') {
        return json(response, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code'],
          code_challenge_methods_supported: ['S256'],
          id_token_signing_alg_values_supported: ['RS256', 'ES256'],
          subject_types_supported: ['public'],
        });
      }
      if (url.pathname === '/jwks') {
        jwksFetches += 1;
        return json(response, 200, { keys: keys.map((key) => key.publicJwk) });
      }
      if (url.pathname === '/authorize') {
        const query = url.searchParams;
        const redirectUri = query.get('redirect_uri') ?? '';
        if (query.get('client_id') !== clientId || !redirects.has(redirectUri)) {
          response.writeHead(400, { 'content-type': 'text/plain' });
          return response.end('unknown client or redirect_uri');
        }
        const back = new URL(redirectUri);
        const state = query.get('state');
        if (state) back.searchParams.set('state', state);
        if (query.get('response_type') !== 'code' || query.get('code_challenge_method') !== 'S256' || !query.get('code_challenge')) {
          back.searchParams.set('error', 'invalid_request');
          back.searchParams.set('error_description', 'response_type=code with an S256 code_challenge is required');
        } else {
          const code = base64url(randomBytes(24));
          codes.set(code, {
            clientId,
            redirectUri,
            challenge: query.get('code_challenge')!,
            nonce: query.get('nonce') ?? undefined,
            user: provider.user,
            scope: query.get('scope') ?? 'openid',
          });
          back.searchParams.set('code', code);
        }
        back.searchParams.set('iss', issuer);
        response.writeHead(302, { location: back.toString(), 'cache-control': 'no-store' });
        return response.end();
      }
      if (url.pathname === '/token' && request.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        return exchange(new URLSearchParams(Buffer.concat(chunks).toString('utf8')), response);
      }
      json(response, 404, { error: 'not_found' });
    })().catch((error: unknown) => {
      if (!response.headersSent) json(response, 500, { error: 'server_error', error_description: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // defineProperties, not Object.assign: the counters are getters and must stay live.
  return Object.defineProperties(
    provider,
    Object.getOwnPropertyDescriptors({
      get issuer() {
        return issuer;
      },
      audience,
      rolesClaim,
      clientId,
      get jwksUrl() {
        return `${issuer}/jwks`;
      },
      get keys() {
        return [...keys];
      },
      get jwksFetches() {
        return jwksFetches;
      },
      get codesExchanged() {
        return codesExchanged;
      },
      async rotate(alg: SigningAlgorithm, rotateOptions: { publish?: boolean } = {}) {
        const key = await newSigningKey(alg);
        if (rotateOptions.publish !== false) keys.push(key);
        current = key;
        return key;
      },
      publish(key: SigningKey) {
        if (!keys.includes(key)) keys.push(key);
      },
      retire(key: SigningKey) {
        const at = keys.indexOf(key);
        if (at >= 0) keys.splice(at, 1);
      },
      issue,
      allowRedirect(uri: string) {
        redirects.add(uri);
      },
      stop: () =>
        new Promise<void>((resolve, reject) => {
          server.closeAllConnections();
          server.close((error) => (error ? reject(error) : resolve()));
        }),
    }),
  ) as unknown as TestIdentityProvider;
}
