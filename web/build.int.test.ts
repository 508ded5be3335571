/**
 * ensureConsoleBuilt against a throwaway console (an index.html and a script, built by the real
 * Vite): built when missing, left alone when its sources did not change, rebuilt when they did —
 * tests and dot directories aside — one build for two callers at once, a lock left by a dead
 * process taken over, and a failed build leaving the previous one in place.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureConsoleBuilt } from './build';

const root = mkdtempSync(join(tmpdir(), 'console-build-'));
const lockfile = join(root, '..', `${root.split('/').at(-1)}-package-lock.json`);
mkdirSync(join(root, 'src'));
// A module, as web/ is (the repository's package.json says so).
writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
writeFileSync(join(root, 'vite.config.ts'), 'export default { logLevel: "warn" };\n');
writeFileSync(
  join(root, 'index.html'),
  '<!doctype html><html><head><script type="module" src="/src/main.js"></script></head><body></body></html>\n',
);
writeFileSync(join(root, 'src', 'main.js'), 'document.body.textContent = "first";\n');
writeFileSync(lockfile, '{"lockfileVersion":3}\n');

test.after(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(lockfile, { force: true });
});

async function ensure() {
  const lines: string[] = [];
  const result = await ensureConsoleBuilt({ root, lockfile, log: (text) => lines.push(text) });
  return { ...result, said: lines.join('') };
}

const builtScript = () => {
  const assets = readdirSync(join(root, 'dist', 'assets')).filter((name) => name.endsWith('.js'));
  return assets.map((name) => readFileSync(join(root, 'dist', 'assets', name), 'utf8')).join('\n');
};

test('missing: built into dist/, saying so on one line', async () => {
  const { built, distDir, said } = await ensure();
  assert.ok(built);
  assert.is(distDir, join(root, 'dist'));
  assert.ok(existsSync(join(distDir, 'index.html')));
  assert.match(builtScript(), /first/);
  assert.match(said, /^building the console… done in \d+\.\d s\n$/);
});

test('fresh: not built again, nothing said', async () => {
  const { built, said } = await ensure();
  assert.not.ok(built);
  assert.is(said, '');
});

test('a source changed: rebuilt; a test file, a dot directory or dist/ itself changed: not', async () => {
  writeFileSync(join(root, 'src', 'main.js'), 'document.body.textContent = "second";\n');
  assert.ok((await ensure()).built);
  assert.match(builtScript(), /second/);

  writeFileSync(join(root, 'src', 'main.unit.test.ts'), 'export {};\n');
  mkdirSync(join(root, '.dist-old-leftover'));
  writeFileSync(join(root, 'dist', 'extra.txt'), 'x');
  assert.not.ok((await ensure()).built);
});

test('package-lock.json changed (other libraries): rebuilt', async () => {
  writeFileSync(lockfile, '{"lockfileVersion":3,"changed":true}\n');
  assert.ok((await ensure()).built);
  assert.not.ok(existsSync(join(root, '.dist-old-leftover')), 'leftovers of earlier builds are cleaned up');
});

test('two callers at once: one builds, the other waits and finds it built', async () => {
  writeFileSync(join(root, 'src', 'main.js'), 'document.body.textContent = "third";\n');
  const results = await Promise.all([ensure(), ensure()]);
  assert.equal(results.map(({ built }) => built).sort(), [false, true]);
  assert.match(builtScript(), /third/);
  assert.equal(
    readdirSync(root).filter((name) => name.startsWith('.dist-')),
    [],
    'no lock or temporary build left',
  );
});

test('a lock left by a process that is gone is taken over', async () => {
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(join(root, '.dist-lock'), `${gone.stdout}\n`);
  writeFileSync(join(root, 'src', 'main.js'), 'document.body.textContent = "fourth";\n');
  assert.ok((await ensure()).built);
  assert.match(builtScript(), /fourth/);
});

test('a build that fails says why and leaves the previous build in place', async () => {
  writeFileSync(join(root, 'src', 'main.js'), 'document.body.textContent = ;\n');
  try {
    await ensure();
    assert.unreachable('the build should have failed');
  } catch (error) {
    assert.instance(error, Error);
    assert.not.match((error as Error).message, /should have failed/);
  }
  assert.match(builtScript(), /fourth/);
  assert.equal(
    readdirSync(root).filter((name) => name.startsWith('.dist-')),
    [],
  );
  rmSync(join(root, 'vite.config.ts'));
  try {
    await ensure();
    assert.unreachable('no config');
  } catch (error) {
    assert.match((error as Error).message, /vite\.config\.ts/);
  }
});

test.run();
