import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { ConfigError, authEnv, loadConfig, withTokenRules, type Env } from '../config';
import { verifierFromEnv } from './from-env';

const schema = withTokenRules(z.object({ ...authEnv }));
const secret = 's'.repeat(32);
const oidc = { OIDC_ISSUER: 'https://id.example.com/realms/checkout', OIDC_AUDIENCE: 'checkout-apis' };

function problems(env: Env): string[] {
  try {
    loadConfig(schema, env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems.map(({ variable, problem }) => `${variable}: ${problem}`);
  }
}

test('JWT_SECRET alone: a shared-secret verifier with a day as the longest lifetime', () => {
  const config = loadConfig(schema, { JWT_SECRET: secret });
  assert.is(config.TOKEN_MAX_LIFETIME_S, 86_400);
  assert.is(verifierFromEnv(config).kind, 'shared-secret');
});

test('OIDC_ISSUER and OIDC_AUDIENCE: an identity provider verifier; roles claim and lifetime configurable', () => {
  const config = loadConfig(schema, {
    ...oidc,
    OIDC_AUDIENCE: 'checkout-apis, account',
    OIDC_ROLES_CLAIM: 'realm_access.roles',
    TOKEN_MAX_LIFETIME_S: '900',
  });
  assert.equal(config.OIDC_AUDIENCE, ['checkout-apis', 'account']);
  assert.is(config.OIDC_ROLES_CLAIM, 'realm_access.roles');
  assert.is(config.TOKEN_MAX_LIFETIME_S, 900);
  assert.is(verifierFromEnv(config).kind, 'oidc');
});

test('each mistake names its variable', () => {
  assert.equal(problems({}), [
    "JWT_SECRET: is required but not set (or set OIDC_ISSUER and OIDC_AUDIENCE to verify an identity provider's tokens)",
  ]);
  assert.match(problems({ JWT_SECRET: secret, ...oidc })[0]!, /^JWT_SECRET: must not be set together with OIDC_ISSUER/);
  assert.match(problems({ OIDC_ISSUER: oidc.OIDC_ISSUER })[0]!, /^OIDC_AUDIENCE: is required with OIDC_ISSUER/);
  assert.equal(problems({ JWT_SECRET: secret, OIDC_JWKS_URL: 'https://id.example.com/certs' }), [
    'OIDC_JWKS_URL: is set but OIDC_ISSUER is not',
  ]);
  assert.match(problems({ ...oidc, OIDC_ISSUER: 'id.example.com' })[0]!, /^OIDC_ISSUER: must be a URL/);
  assert.match(problems({ ...oidc, OIDC_ROLES_CLAIM: 'realm access' })[0]!, /^OIDC_ROLES_CLAIM: must be a claim name/);
  assert.match(
    problems({ JWT_SECRET: secret, TOKEN_MAX_LIFETIME_S: '1h' })[0]!,
    /^TOKEN_MAX_LIFETIME_S: must be a whole number of seconds/,
  );
});

test.run();
