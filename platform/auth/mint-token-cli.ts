/**
 * Mints a bearer token for trying the APIs by hand:
 *   JWT_SECRET=... npm run token -- --sub alice --role customer [--expires-in 8h]
 * Without JWT_SECRET, the secret of the `npm start` running in this directory (platform/local-system/system-file.ts).
 * Prints only the token, so `TOKEN=$(npm run -s token -- --sub alice --role customer)` works.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { jwtSecret, loadConfigOrExit } from '../config';
import { nothingRunningHint, runningSystemJwtSecret, withRunningSystem } from '../local-system/system-file';
import { roles, type Role } from './principal';
import { mintToken } from './tokens';

const usage = `usage: npm run token -- --sub <user id> --role <${roles.join('|')}> [--expires-in <span, default 1h>]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(1);
}

let values: { sub?: string; role?: string; 'expires-in'?: string };
try {
  ({ values } = parseArgs({
    options: { sub: { type: 'string' }, role: { type: 'string' }, 'expires-in': { type: 'string' } },
    strict: true,
  }));
} catch (error) {
  fail((error as Error).message);
}
if (!values.sub) fail('missing --sub');
if (!roles.includes(values.role as Role)) fail(`--role must be one of ${roles.join(', ')}`);

// No JWT_SECRET: the secret of the `npm start` running in this directory, when it generated one.
const running = withRunningSystem(
  process.env,
  ['JWT_SECRET'],
  (system) => ({ JWT_SECRET: runningSystemJwtSecret(system) }),
  (line) => process.stderr.write(`${line}\n`),
);
if (running.missing.length > 0 && !running.env.JWT_SECRET) {
  process.stderr.write(
    running.system
      ? 'JWT_SECRET is not set, and the running `npm start` was given its own (JWT_SECRET or an identity provider): set JWT_SECRET\n'
      : `${nothingRunningHint(running.dataDir, 'JWT_SECRET')}\n`,
  );
  process.exit(1);
}
const { JWT_SECRET } = loadConfigOrExit(z.object({ JWT_SECRET: jwtSecret }), running.env);
try {
  const token = await mintToken({
    sub: values.sub,
    role: values.role as Role,
    secret: JWT_SECRET,
    expiresIn: values['expires-in'] ?? '1h',
  });
  process.stdout.write(`${token}\n`);
} catch (error) {
  fail((error as Error).message);
}
