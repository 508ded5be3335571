import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyToken } from './tokens';

const secret = 'cli-test-secret-that-is-at-least-32-chars';
const cli = new URL('./mint-token-cli.ts', import.meta.url).pathname;

function run(args: string[], env: Record<string, string>) {
  const { JWT_SECRET: _, ...inherited } = process.env;
  const result = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { ...inherited, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('prints only a token that verifies to the given subject and role', async () => {
  const { code, stdout } = run(['--sub', 'alice', '--role', 'customer'], { JWT_SECRET: secret });
  assert.is(code, 0);
  const token = stdout.trim();
  assert.is(stdout, `${token}\n`);
  const result = await verifyToken(token, secret);
  assert.equal(result, { ok: true, principal: { sub: 'alice', role: 'customer' } });
});

test('without JWT_SECRET and without a running npm start it says what to start or set, and exits 1', () => {
  const empty = mkdtempSync(join(tmpdir(), 'token-cli-'));
  try {
    const { code, stdout, stderr } = run(['--sub', 'alice', '--role', 'admin'], { CHECKOUT_DATA_DIR: empty });
    assert.is(code, 1);
    assert.is(stdout, '');
    assert.is(
      stderr,
      `no running \`npm start\` found in ${empty} and JWT_SECRET not set: start the checkout with \`npm start\` (in this directory, or set CHECKOUT_DATA_DIR to its data directory), or set JWT_SECRET\n`,
    );
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('an unknown role is refused with the usage line', () => {
  const { code, stderr } = run(['--sub', 'alice', '--role', 'root'], { JWT_SECRET: secret });
  assert.is(code, 1);
  assert.match(stderr, /^--role must be one of customer, admin\nusage: npm run token -- --sub/);
});

test('--expires-in sets the lifetime', async () => {
  const { code, stdout } = run(['--sub', 'bob', '--role', 'admin', '--expires-in', '2h'], { JWT_SECRET: secret });
  assert.is(code, 0);
  const payload = JSON.parse(Buffer.from(stdout.trim().split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
  assert.is(payload.exp - payload.iat, 7200);
});

test.run();
