/**
 * The console origin's own routes (not the APIs'): `/console-config.json` says whether the
 * development sign-in exists, and `POST /dev/sign-in` mints a token for a name and a role. They
 * belong to the origin server (web/origin), so their two small shapes are declared here.
 */
import { toProblem, type Problem } from './problem';
import { reportHttp } from './reachability';
import type { Role } from './jwt';

export interface ConsoleConfig {
  devSignIn: boolean;
}

export async function fetchConsoleConfig(): Promise<ConsoleConfig> {
  try {
    const response = await fetch('/console-config.json', { headers: { accept: 'application/json' } });
    if (!response.ok) return { devSignIn: false };
    const body = (await response.json()) as Partial<ConsoleConfig>;
    return { devSignIn: body.devSignIn === true };
  } catch {
    return { devSignIn: false };
  }
}

export type DevSignIn = { ok: true; token: string; expiresAt: string } | { ok: false; problem: Problem };

export async function devSignIn(sub: string, role: Role): Promise<DevSignIn> {
  let response: Response;
  try {
    response = await fetch('/dev/sign-in', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ sub, role }) });
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
