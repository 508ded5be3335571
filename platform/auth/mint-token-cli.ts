/**
 * Mints a bearer token for trying the APIs by hand:
 *   JWT_SECRET=... npm run token -- --sub alice --role customer [--expires-in 8h]
 * Prints only the token, so `TOKEN=$(npm run -s token -- --sub alice --role customer)` works.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { jwtSecret, loadConfigOrExit } from '../config';
import { mintToken, roles, type Role } from './tokens';

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

const { JWT_SECRET } = loadConfigOrExit(z.object({ JWT_SECRET: jwtSecret }));
try {
  const token = await mintToken({ sub: values.sub, role: values.role as Role, secret: JWT_SECRET, expiresIn: values['expires-in'] ?? '1h' });
  process.stdout.write(`${token}\n`);
} catch (error) {
  fail((error as Error).message);
}
