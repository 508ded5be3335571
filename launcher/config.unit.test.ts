import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig, type Env } from '../platform/config';
import { launcherEnv } from './config';

const problemsOf = (env: Env) => {
  try {
    loadConfig(launcherEnv, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map(({ variable }) => variable);
  }
};

test('neither JWT_SECRET nor OIDC_ISSUER: the launcher makes its own secret', () => {
  assert.equal(problemsOf({}), []);
});

test("an identity provider, with the services' rules", () => {
  const config = loadConfig(launcherEnv, {
    OIDC_ISSUER: 'https://id.example/realms/shop',
    OIDC_AUDIENCE: 'checkout-apis',
    OIDC_ROLES_CLAIM: 'realm_access.roles',
    OIDC_CONSOLE_CLIENT_ID: 'checkout-console',
  });
  assert.equal(
    [config.OIDC_ISSUER, config.OIDC_AUDIENCE, config.OIDC_ROLES_CLAIM, config.OIDC_CONSOLE_CLIENT_ID],
    ['https://id.example/realms/shop', ['checkout-apis'], 'realm_access.roles', 'checkout-console'],
  );
  assert.equal(problemsOf({ OIDC_ISSUER: 'https://id.example', OIDC_AUDIENCE: 'a', JWT_SECRET: 's'.repeat(40) }), ['JWT_SECRET']);
  assert.equal(problemsOf({ OIDC_ISSUER: 'https://id.example' }), ['OIDC_AUDIENCE']);
  assert.equal(problemsOf({ OIDC_AUDIENCE: 'a' }), ['OIDC_AUDIENCE']);
  assert.equal(problemsOf({ OIDC_CONSOLE_CLIENT_ID: 'checkout-console' }), ['OIDC_CONSOLE_CLIENT_ID']);
});

test.run();
