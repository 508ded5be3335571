/**
 * "Sign in with <identity provider>": the OAuth 2.0 Authorization Code flow with PKCE (RFC 7636,
 * S256) for a public client in the browser — no client secret, no library. The console reads the
 * provider's discovery document, sends the browser to its `authorization_endpoint` with a fresh
 * `state`, `nonce` and `code_challenge`, and comes back to this origin's `/` with `?code=…&state=…`.
 * On that load it checks `state` against what this tab stored, exchanges the code at the
 * `token_endpoint` with the `code_verifier` (the provider must allow this origin: CORS, Keycloak's
 * "Web origins"), removes the code from the address bar and starts the session with the **access
 * token** (its audience is the APIs; the ID token is only for the console and is not sent to them).
 */
import type { ConsoleOidc } from './dev-sign-in';
import { startSession } from './session';

const PENDING_KEY = 'checkout-console.oidc-pending';

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  issuer: string;
  clientId: string;
  tokenEndpoint: string;
  redirectUri: string;
  rolesClaim?: string;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 32 random bytes, base64url: 43 characters, inside PKCE's 43–128 for a verifier. */
function randomValue(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

export async function codeChallengeOf(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** The console's own address as the provider sends the browser back to it. */
export function redirectUri(): string {
  return `${location.origin}/`;
}

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, {
    headers: { accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`the identity provider's discovery document answered ${response.status}`);
  const document = (await response.json()) as Partial<Discovery>;
  if (document.issuer !== issuer) throw new Error('the identity provider names another issuer');
  if (typeof document.authorization_endpoint !== 'string' || typeof document.token_endpoint !== 'string')
    throw new Error('the discovery document has no authorization or token endpoint');
  return document as Discovery;
}

/** Leaves the page for the provider's sign-in; resolves only when that could not start. */
export async function beginSignIn(oidc: ConsoleOidc): Promise<{ ok: false; message: string }> {
  try {
    const discovery = await discover(oidc.issuer);
    const pending: Pending = {
      state: randomValue(),
      nonce: randomValue(),
      verifier: randomValue(),
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      tokenEndpoint: discovery.token_endpoint,
      redirectUri: redirectUri(),
      ...(oidc.rolesClaim ? { rolesClaim: oidc.rolesClaim } : {}),
    };
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    const target = new URL(discovery.authorization_endpoint);
    target.searchParams.set('response_type', 'code');
    target.searchParams.set('client_id', oidc.clientId);
    target.searchParams.set('redirect_uri', pending.redirectUri);
    target.searchParams.set('scope', oidc.scope ?? 'openid');
    target.searchParams.set('state', pending.state);
    target.searchParams.set('nonce', pending.nonce);
    target.searchParams.set('code_challenge', await codeChallengeOf(pending.verifier));
    target.searchParams.set('code_challenge_method', 'S256');
    location.assign(target.toString());
    return await new Promise<never>(() => undefined);
  } catch (error) {
    return { ok: false, message: `Signing in with the identity provider could not start: ${(error as Error).message}` };
  }
}

export type Completion = { kind: 'none' } | { kind: 'signed-in' } | { kind: 'failed'; message: string };

function decodePayload(jwt: string): Record<string, unknown> | undefined {
  try {
    const part = jwt.split('.')[1] ?? '';
    return JSON.parse(
      new TextDecoder().decode(
        Uint8Array.from(
          atob(
            part
              .replace(/-/g, '+')
              .replace(/_/g, '/')
              .padEnd(Math.ceil(part.length / 4) * 4, '='),
          ),
          (c) => c.charCodeAt(0),
        ),
      ),
    ) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * On load: when the address holds the provider's answer (`?code=` or `?error=`), finish the sign-in
 * and clean the address either way, so a reload or a shared link never replays a code.
 */
export async function completeSignIn(): Promise<Completion> {
  const query = new URLSearchParams(location.search);
  if (!query.has('code') && !query.has('error')) return { kind: 'none' };
  const stored = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  const pending = stored ? (JSON.parse(stored) as Pending) : undefined;
  // state ties the answer to the request this tab made: anything else is someone else's sign-in.
  if (!pending || query.get('state') !== pending.state) {
    return { kind: 'failed', message: 'The sign-in answer did not match a sign-in started in this tab (state). Sign in again.' };
  }
  if (query.has('error')) {
    return {
      kind: 'failed',
      message: `The identity provider did not sign you in: ${query.get('error_description') ?? query.get('error')}`,
    };
  }
  // RFC 9207: a provider that names itself must be the one asked.
  if (query.has('iss') && query.get('iss') !== pending.issuer)
    return { kind: 'failed', message: 'The sign-in answer came from another identity provider. Sign in again.' };
  let body: { access_token?: unknown; id_token?: unknown; error?: unknown; error_description?: unknown };
  try {
    const response = await fetch(pending.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: query.get('code') ?? '',
        redirect_uri: pending.redirectUri,
        client_id: pending.clientId,
        code_verifier: pending.verifier,
      }),
    });
    body = (await response.json()) as typeof body;
    if (!response.ok)
      return {
        kind: 'failed',
        message: `The identity provider refused the sign-in: ${String(body.error_description ?? body.error ?? response.status)}`,
      };
  } catch (error) {
    return { kind: 'failed', message: `The identity provider could not be reached to finish signing in (${(error as Error).message})` };
  }
  if (typeof body.access_token !== 'string') return { kind: 'failed', message: 'The identity provider answered no access token' };
  if (typeof body.id_token === 'string' && decodePayload(body.id_token)?.nonce !== pending.nonce) {
    return { kind: 'failed', message: 'The identity provider answered for another sign-in (nonce). Sign in again.' };
  }
  const started = startSession(body.access_token, pending.rolesClaim ? { rolesClaim: pending.rolesClaim } : {});
  return started.ok ? { kind: 'signed-in' } : { kind: 'failed', message: started.message };
}
