/**
 * Development sign-in: `POST /dev/sign-in { sub, role }` answers a token for anyone who asks.
 * It exists only when `npm start` generated its own JWT secret (no JWT_SECRET set): that secret
 * signs nothing but this development system's tokens. In compose, or whenever JWT_SECRET is set,
 * the route is not registered at all (404), and the console asks for a token to paste instead.
 * Even then it answers only callers on this machine: `HOST=0.0.0.0` exposes the APIs to the
 * network, and an admin token for anyone who can reach the port would be an open door. It also
 * wants a loopback `Host`: a page on another domain that re-resolves its name to 127.0.0.1 (DNS
 * rebinding) is same-origin to itself and could otherwise read a token from the answer.
 */
import { z } from 'zod';
import { roles, type Role } from '../../platform/auth';
import { problemDetailsSchema } from '../../platform/http';
import { sendProblem } from '../../platform/http/error-handler';
import type { Scope } from './scope';

export interface DevSignIn {
  /** A token for `sub` in `role`, and when it expires (ISO 8601). */
  mint(sub: string, role: Role): Promise<{ token: string; expiresAt: string }>;
}

export const signInRequest = z.object({
  sub: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._@-]+$/, 'must be letters, digits, and . _ - @'),
  role: z.enum(roles),
});

/** The identity provider the console signs in with (Authorization Code flow with PKCE, a public client). */
export const consoleOidc = z.object({
  /** As in its tokens' `iss`; the console reads `<issuer>/.well-known/openid-configuration`. */
  issuer: z.string(),
  /** The console's client id at the provider (a public client: no secret). */
  clientId: z.string(),
  /** Scopes asked for; default `openid`. */
  scope: z.string().optional(),
  /** Where the access token holds the roles (OIDC_ROLES_CLAIM), so the console shows the right pages. */
  rolesClaim: z.string().optional(),
});
export type ConsoleOidc = z.output<typeof consoleOidc>;

export const consoleConfig = z.object({
  /** Whether POST /dev/sign-in exists: the console offers "sign in as any user" only then. */
  devSignIn: z.boolean(),
  /** "Sign in with <issuer>", when the deployment has an identity provider; null: none. */
  oidc: consoleOidc.nullable(),
});

export function consoleConfigRoute(scope: Scope, devSignIn: DevSignIn | undefined, oidc?: ConsoleOidc): void {
  scope.get(
    '/console-config.json',
    { schema: { summary: 'What the console offers on this origin', response: { 200: consoleConfig } } },
    async (_request, reply) => {
      reply.header('cache-control', 'no-cache');
      return { devSignIn: devSignIn !== undefined, oidc: oidc ?? null };
    },
  );
}

export function devSignInRoute(scope: Scope, devSignIn: DevSignIn): void {
  scope.post(
    '/dev/sign-in',
    {
      schema: {
        summary: 'Development only: a token for any user, in either role',
        body: signInRequest,
        response: { 200: z.object({ token: z.string(), expiresAt: z.string() }), 400: problemDetailsSchema, 403: problemDetailsSchema },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      if (!isLoopback(request.socket.remoteAddress) || !namesLoopback(request.headers.host)) {
        return sendProblem(reply, {
          type: 'about:blank',
          title: 'Forbidden',
          status: 403,
          detail: 'Development sign-in answers only on the machine running npm start; elsewhere, paste a token.',
          instance: '/dev/sign-in',
        });
      }
      return devSignIn.mint(request.body.sub, request.body.role);
    },
  );
}

/** 127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** `localhost`, `127.x.x.x` or `[::1]`, with any port. */
export function namesLoopback(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}
