/**
 * The console's two API clients, typed from the APIs' own OpenAPI documents (web/src/api/*.d.ts,
 * `npm run web:types`): paths, parameters, bodies and answers are the services' declarations, not
 * copies. Both go through the console's origin (`/api/commands`, `/api/queries`), carry the
 * session's token, report whether the shop answered, and end the session on any 401.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components as commandComponents, paths as commandPaths } from '../api/command-api';
import type { components as queryComponents, paths as queryPaths } from '../api/query-api';
import { toProblem, type Problem } from './problem';
import { reportHttp } from './reachability';
import { endSession, session } from './session';

export type QuerySchemas = queryComponents['schemas'];
export type CommandSchemas = commandComponents['schemas'];
export type Product = QuerySchemas['Product'];
export type Order = QuerySchemas['Order'];
export type OrderSummary = QuerySchemas['OrderSummary'];
export type Checkout = QuerySchemas['Checkout'];
export type ShopNotification = QuerySchemas['Notification'];
export type SalesStats = QuerySchemas['SalesStats'];
export type LogPosition = CommandSchemas['LogPosition'];

/** A proxy in front of a stopped service answers these; the shop is then "down", not "wrong". */
const UNREACHABLE_STATUSES = new Set([502, 504]);

async function reachableFetch(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    reportHttp(!UNREACHABLE_STATUSES.has(response.status));
    return response;
  } catch (error) {
    reportHttp(false);
    throw error;
  }
}

const bearer: Middleware = {
  onRequest({ request }) {
    const token = session.peek()?.token;
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  async onResponse({ response }) {
    if (response.status === 401 && session.peek()) {
      const body: unknown = await response
        .clone()
        .json()
        .catch(() => undefined);
      const reason = typeof body === 'object' && body && 'reason' in body ? ` (${String((body as { reason: unknown }).reason)})` : '';
      endSession(`The shop no longer accepts your sign-in${reason}. Sign in again.`);
    }
    return response;
  },
};

export const commands = createClient<commandPaths>({ baseUrl: '/api/commands', fetch: reachableFetch });
export const queries = createClient<queryPaths>({ baseUrl: '/api/queries', fetch: reachableFetch });
commands.use(bearer);
queries.use(bearer);

export type Outcome<T> = { ok: true; data: T; response: Response } | { ok: false; problem: Problem; status: number };

/** An openapi-fetch call as success or a problem to show; a network failure is a problem too (status 0). */
export async function outcome<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<Outcome<T>> {
  try {
    const { data, error, response } = await call;
    if (response.ok) return { ok: true, data: data as T, response };
    return { ok: false, problem: toProblem(response.status, error), status: response.status };
  } catch {
    return { ok: false, problem: toProblem(0, undefined), status: 0 };
  }
}

/** `X-Min-Position` for reading one's own write (the command's `position`, as it answered it). */
export function minPositionHeader(position: LogPosition | null | undefined): { 'x-min-position'?: string } {
  return position ? { 'x-min-position': `${position.commit}/${position.prepare}` } : {};
}
