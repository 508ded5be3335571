/** The console origin's configuration (compose: `npm run start:web`), from the environment. */
import { z } from 'zod';
import { httpServiceEnv, port, url } from '../../platform/config';
import { trustProxy } from '../../platform/http/client-address';
import type { ConsoleOidc } from './dev-sign-in';

export const webOriginEnv = z
  .object({
    WEB_PORT: port(3000),
    ...httpServiceEnv,
    /** Where the command API answers, as seen from this process (defaults: the services' own ports on this machine). */
    COMMAND_API_URL: url(['http', 'https'], 'http://command-api:3001').default('http://127.0.0.1:3001'),
    QUERY_API_URL: url(['http', 'https'], 'http://query-api:3002').default('http://127.0.0.1:3002'),
    /** The identity provider the console signs in with (the APIs' OIDC_ISSUER); with OIDC_CONSOLE_CLIENT_ID. */
    OIDC_ISSUER: url(['http', 'https'], 'https://id.example.com/realms/checkout').optional(),
    /** The console's public client at the provider (Keycloak: `checkout-console`). */
    OIDC_CONSOLE_CLIENT_ID: z
      .string()
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      .optional(),
    /** Scopes the console asks for (default `openid`). */
    OIDC_CONSOLE_SCOPE: z.string().min(1).optional(),
    /** Where the access token holds the roles, as the APIs' OIDC_ROLES_CLAIM (default `roles`). */
    OIDC_ROLES_CLAIM: z.string().min(1).default('roles'),
    /**
     * Proxies in front of this origin whose X-Forwarded-For is passed on to the APIs (a load
     * balancer); unset: none, the origin's peer is the client it names to the APIs.
     */
    TRUST_PROXY: trustProxy.optional(),
  })
  .superRefine((values, context) => {
    if ((values.OIDC_ISSUER === undefined) !== (values.OIDC_CONSOLE_CLIENT_ID === undefined)) {
      const missing = values.OIDC_ISSUER === undefined ? 'OIDC_ISSUER' : 'OIDC_CONSOLE_CLIENT_ID';
      context.addIssue({
        code: 'custom',
        path: [missing],
        message:
          'is required with ' +
          (missing === 'OIDC_ISSUER' ? 'OIDC_CONSOLE_CLIENT_ID' : 'OIDC_ISSUER') +
          ' (the console signs in with both or neither)',
      });
    }
  });

/** The console's "Sign in with …", when both OIDC_ISSUER and OIDC_CONSOLE_CLIENT_ID are set. */
export function consoleOidcOf(config: WebOriginConfig): ConsoleOidc | undefined {
  if (!config.OIDC_ISSUER || !config.OIDC_CONSOLE_CLIENT_ID) return undefined;
  return {
    issuer: config.OIDC_ISSUER,
    clientId: config.OIDC_CONSOLE_CLIENT_ID,
    rolesClaim: config.OIDC_ROLES_CLAIM,
    ...(config.OIDC_CONSOLE_SCOPE ? { scope: config.OIDC_CONSOLE_SCOPE } : {}),
  };
}

export type WebOriginConfig = z.output<typeof webOriginEnv>;
