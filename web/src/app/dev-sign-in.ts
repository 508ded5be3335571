/**
 * The console origin's own routes (not the APIs'): `/console-config.json` says whether the
 * development sign-in exists and which identity provider to sign in with, and `POST /dev/sign-in` mints a token for a name and a role. They
 * belong to the origin server (web/origin), so their two small shapes are declared here.
 */
import { toProblem, type Problem } from './problem';
import { reportHttp } from './reachability';
import type { Role } from './jwt';

/** The identity provider the console signs in with (oidc.ts). */
export interface ConsoleOidc {
  issuer: string;
  clientId: string;
  scope?: string;
  rolesClaim?: string;
}

export interface ConsoleConfig {
  devSignIn: boolean;
  oidc: ConsoleOidc | null;
}

function oidcOf(value: unknown): ConsoleOidc | null {
  if (typeof value !== 'object' || value === null) return null;
  const { issuer, clientId, scope, rolesClaim } = value as Record<string, unknown>;
  if (typeof issuer !== 'string' || typeof clientId !== 'string' || !URL.canParse(issuer)) return null;
  return { issuer, clientId, ...(typeof scope === 'string' ? { scope } : {}), ...(typeof rolesClaim === 'string' ? { rolesClaim } : {}) };
}

export async function fetchConsoleConfig(): Promise<ConsoleConfig> {
  try {
    const response = await fetch('/console-config.json', { headers: { accept: 'application/json' } });
    if (!response.ok) return { devSignIn: false, oidc: null };
    const body = (await response.json()) as Partial<Record<keyof ConsoleConfig, unknown>>;
    return { devSignIn: body.devSignIn === true, oidc: oidcOf(body.oidc) };
  } catch {
    return { devSignIn: false, oidc: null };
  }
}

export type DevSignIn = { ok: true; token: string; expiresAt: string } | { ok: false; problem: Problem };

export async function devSignIn(sub: string, role: Role): Promise<DevSignIn> {
  let response: Response;
  try {
    response = await fetch('/dev/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ sub, role }),
    });
  } catch {
    reportHttp(false);
    return { ok: false, problem: toProblem(0, undefined) };
  }
  reportHttp(response.status !== 502 && response.status !== 504);
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) return { ok: false, problem: toProblem(response.status, body) };
  const { token, expiresAt } = (body ?? {}) as { token?: unknown; expiresAt?: unknown };
  if (typeof token !== 'string') return { ok: false, problem: toProblem(500, undefined) };
  return { ok: true, token, expiresAt: typeof expiresAt === 'string' ? expiresAt : '' };
}
