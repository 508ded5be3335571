import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { linkLibraries } from './embedded-postgres';

let packageDirectory: string;

test.before.each(() => {
  packageDirectory = mkdtempSync(join(tmpdir(), 'embedded-postgres-links-'));
  mkdirSync(join(packageDirectory, 'native', 'lib'), { recursive: true });
  writeFileSync(join(packageDirectory, 'native', 'lib', 'libicuuc.so.60.2'), 'the library');
  writeFileSync(
    join(packageDirectory, 'native', 'pg-symlinks.json'),
    JSON.stringify([
      { source: 'native/lib/libicuuc.so.60.2', target: 'native/lib/libicuuc.so.60' },
      { source: 'native/lib/libicuuc.so.60.2', target: 'native/lib/libicuuc.so' },
    ]),
  );
});
test.after.each(() => rmSync(packageDirectory, { recursive: true, force: true }));

test('links the libraries the package lists, as its skipped postinstall would, relative to their folder', () => {
  linkLibraries(packageDirectory);
  for (const name of ['libicuuc.so.60', 'libicuuc.so']) {
    const link = join(packageDirectory, 'native', 'lib', name);
    assert.ok(lstatSync(link).isSymbolicLink(), name);
    assert.is(readlinkSync(link), 'libicuuc.so.60.2');
    assert.is(readFileSync(link, 'utf8'), 'the library');
  }
});

test('leaves what exists alone, so every run (and two at once) may call it', () => {
  writeFileSync(join(packageDirectory, 'native', 'lib', 'libicuuc.so'), 'a real file');
  linkLibraries(packageDirectory);
  linkLibraries(packageDirectory);
  assert.is(readFileSync(join(packageDirectory, 'native', 'lib', 'libicuuc.so'), 'utf8'), 'a real file');
  assert.ok(lstatSync(join(packageDirectory, 'native', 'lib', 'libicuuc.so.60')).isSymbolicLink());
});

test('a package without a list is left as it is', () => {
  rmSync(join(packageDirectory, 'native', 'pg-symlinks.json'));
  linkLibraries(packageDirectory);
  assert.throws(() => lstatSync(join(packageDirectory, 'native', 'lib', 'libicuuc.so.60')));
});

test.run();
