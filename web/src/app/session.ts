/**
 * Who is signed in. The token lives in sessionStorage (per tab, gone with the tab), is read for
 * its claims, and the session ends by itself when the token expires — or as soon as any API says
 * 401 — with a message for the sign-in page.
 */
import { computed, signal } from '@preact/signals';
import { readToken, timeLeft, type TokenClaims } from './jwt';

const TOKEN_KEY = 'checkout-console.token';
// Where the token lists its roles (an identity provider's claim), kept so a reload reads it the same way.
const ROLES_CLAIM_KEY = 'checkout-console.roles-claim';

export interface Session extends TokenClaims {
  token: string;
}

export const session = signal<Session | null>(null);
/** Why the last session ended (shown on the sign-in page), or null. */
export const signInMessage = signal<string | null>(null);
export const isAdmin = computed(() => session.value?.role === 'admin');

let expiryTimer: ReturnType<typeof setTimeout> | undefined;

export type StartSession = { ok: true } | { ok: false; message: string };

export function startSession(token: string, options: { rolesClaim?: string } = {}): StartSession {
  const rolesClaim = options.rolesClaim ?? sessionStorage.getItem(ROLES_CLAIM_KEY) ?? undefined;
  const read = readToken(token, rolesClaim);
  if (!read.ok) return read;
  const left = timeLeft(read.claims, new Date());
  if (left <= 0) return { ok: false, message: `This token expired at ${read.claims.expiresAt?.toLocaleString()}` };
  clearTimeout(expiryTimer);
  // setTimeout holds at most 2^31 − 1 ms (about 24.8 days); a longer token is checked again then.
  if (Number.isFinite(left)) expiryTimer = setTimeout(() => checkExpiry(), Math.min(left, 2_147_483_647));
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  if (options.rolesClaim) sessionStorage.setItem(ROLES_CLAIM_KEY, options.rolesClaim);
  signInMessage.value = null;
  session.value = { token: token.trim(), ...read.claims };
  return { ok: true };
}

function checkExpiry(): void {
  const current = session.value;
  if (!current) return;
  if (timeLeft(current, new Date()) <= 0) endSession('Your session expired. Sign in again.');
  else startSession(current.token);
}

export function endSession(message: string | null = null): void {
  clearTimeout(expiryTimer);
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ROLES_CLAIM_KEY);
  signInMessage.value = message;
  session.value = null;
}

/** On load: the tab's token, if it is still good. */
export function restoreSession(): void {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return;
  const started = startSession(token);
  if (!started.ok) endSession(`Your previous session ended: ${started.message}. Sign in again.`);
}
