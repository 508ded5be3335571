import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL, whereTestsLook } from './where-tests-look';

const root = new URL('../..', import.meta.url).pathname;

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('every test file and helper that falls back from DATABASE_URL or NATS_URL falls back to where the preflight looks', () => {
  const fallbacks: Array<{ file: string; variable: string; value: string }> = [];
  for (const path of sourceFiles(root)) {
    const text = readFileSync(path, 'utf8');
    for (const match of text.matchAll(/process\.env\.(DATABASE_URL|NATS_URL)\s*(?:\?\?|\|\|)\s*'([^']+)'/g)) {
      fallbacks.push({ file: relative(root, path), variable: match[1]!, value: match[2]! });
    }
  }
  assert.ok(
    fallbacks.some(({ file }) => file === 'platform/testing/postgres-schema.ts'),
    'found the Postgres test helper',
  );
  assert.ok(
    fallbacks.some(({ file }) => file === 'query-api/testing/fixture.ts'),
    'found the query API test helper',
  );
  for (const { file, variable, value } of fallbacks) {
    assert.is(value, variable === 'DATABASE_URL' ? DEFAULT_DATABASE_URL : DEFAULT_NATS_URL, `${file}: ${variable} fallback`);
  }
});

test('the defaults, when neither variable is set', () => {
  const { postgres, nats } = whereTestsLook({});
  assert.equal(
    {
      host: postgres.host,
      port: postgres.port,
      local: postgres.local,
      user: postgres.user,
      database: postgres.database,
      shown: postgres.shown,
    },
    { host: '127.0.0.1', port: 5432, local: true, user: 'postgres', database: 'test', shown: '127.0.0.1:5432' },
  );
  assert.equal(
    { host: nats.host, port: nats.port, local: nats.local, url: nats.url },
    { host: '127.0.0.1', port: 4222, local: true, url: DEFAULT_NATS_URL },
  );
});

test('the configured host, port, user and database; the password is never shown', () => {
  const { postgres, nats } = whereTestsLook({
    DATABASE_URL: 'postgres://checkout:s3cret@localhost:5999/checkout',
    NATS_URL: 'localhost:4999, nats://other:4222',
  });
  assert.equal(
    [postgres.host, postgres.port, postgres.local, postgres.user, postgres.database],
    ['localhost', 5999, true, 'checkout', 'checkout'],
  );
  assert.not.ok(postgres.shown.includes('s3cret'));
  assert.equal([nats.host, nats.port, nats.local, nats.url], ['localhost', 4999, true, 'localhost:4999, nats://other:4222']);
});

test('another machine is not local: the preflight never starts a server for it', () => {
  assert.is(whereTestsLook({ DATABASE_URL: 'postgres://u@db.internal/test' }).postgres.local, false);
  assert.is(whereTestsLook({ NATS_URL: 'nats://[::1]:4222' }).nats.local, true);
  assert.is(whereTestsLook({ NATS_URL: 'nats://10.0.0.7:4222' }).nats.local, false);
});

test('a variable that is not a URL is named', () => {
  assert.throws(() => whereTestsLook({ DATABASE_URL: 'not a url' }), /^DATABASE_URL is not a URL/);
});

test.run();
