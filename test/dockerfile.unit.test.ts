/**
 * What the image holds, computed from the rules that decide it (there is no Docker engine here):
 * the build context is the checkout's files less .dockerignore, the build stage copies it, and
 * the runtime stage keeps what its COPY lines name. The build context holds no test code, so no
 * stage can ship any; the runtime stage holds every entry file a container runs, with every
 * module it imports, and none of them imports a devDependency (`npm ci --omit=dev` leaves those
 * out). Files the build makes (web/dist) are not modelled: only checkout files are followed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';

const root = new URL('..', import.meta.url).pathname;
const read = (path: string) => readFileSync(posix.join(root, path), 'utf8');

/** Libraries only tests use: a file importing one is test code wherever it lives. */
const TEST_LIBRARIES = ['uvu', 'fast-check', 'playwright-core', '@axe-core/playwright'];

/** The checkout's files as a clone with this change holds them: tracked, plus new ones git does not ignore. */
const checkoutFiles = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((path) => path !== '' && existsSync(posix.join(root, path)));
const checkoutFileSet = new Set(checkoutFiles);

// ---- .dockerignore, as Docker reads it ---------------------------------------------------------

interface IgnoreRule {
  readonly pattern: string;
  readonly regex: RegExp;
  /** false for a `!` exception. */
  readonly excludes: boolean;
}

/** `*` and `?` within one path segment, `**` across any number of them (none too); no character classes here. */
function patternRegex(pattern: string): RegExp {
  if (/[[\]\\]/.test(pattern)) throw new Error(`.dockerignore: ${pattern}: character classes and escapes are not modelled by this test`);
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (pattern[i] === '*') source += '[^/]*';
    else if (pattern[i] === '?') source += '[^/]';
    else source += pattern[i]!.replace(/[.+^${}()|]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function ignoreRules(text: string): IgnoreRule[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const excludes = !line.startsWith('!');
      const pattern = posix.normalize(excludes ? line : line.slice(1).trim()).replace(/^\/+|\/+$/g, '');
      return { pattern, regex: patternRegex(pattern), excludes };
    });
}

/** A path is left out when the last rule matching it, or a directory above it, excludes. */
function isIgnored(path: string, rules: readonly IgnoreRule[]): boolean {
  const parts = path.split('/');
  const selfAndParents = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) if (selfAndParents.some((candidate) => rule.regex.test(candidate))) ignored = rule.excludes;
  return ignored;
}

// ---- the Dockerfile's stages and their COPY lines ----------------------------------------------

/** A file system: absolute path → the checkout file it holds. */
type Files = Map<string, string>;

interface Stage {
  readonly name: string | undefined;
  readonly files: Files;
}

/** COPY's rules: a directory (or `.`) copies its contents into the destination; a file goes into it when it ends in `/`. */
function copyInto(
  target: Files,
  source: Files,
  { sources, destination, workdir }: { sources: readonly string[]; destination: string; workdir: string },
): void {
  const into = posix.resolve(workdir, destination);
  const intoDirectory = destination.endsWith('/') || destination === '.' || sources.length > 1;
  for (const each of sources) {
    const from = posix.resolve('/', each);
    const below = from === '/' ? '/' : `${from}/`;
    const isDirectory = [...source.keys()].some((path) => path.startsWith(below));
    for (const [path, origin] of source) {
      if (isDirectory && path.startsWith(below)) target.set(posix.join(into, path.slice(below.length)), origin);
      else if (!isDirectory && path === from) target.set(intoDirectory ? posix.join(into, posix.basename(path)) : into, origin);
    }
  }
}

function buildStages(dockerfile: string, context: Files): Stage[] {
  const stages: Stage[] = [];
  for (const text of dockerfile
    .replace(/\\\n/g, ' ')
    .split(/^FROM /m)
    .slice(1)) {
    const stage: Stage = { name: /^\S+\s+AS\s+(\S+)/i.exec(text)?.[1], files: new Map() };
    let workdir = '/';
    for (const line of text.split('\n').map((each) => each.trim())) {
      const instruction = /^(WORKDIR|COPY)\s+(.*)$/i.exec(line);
      if (!instruction) continue;
      if (instruction[1]!.toUpperCase() === 'WORKDIR') {
        workdir = posix.resolve(workdir, instruction[2]!);
        continue;
      }
      const words = instruction[2]!.split(/\s+/);
      const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((word) => !word.startsWith('--'));
      const source = from === undefined ? context : stages.find((each) => each.name === from)?.files;
      assert.ok(source, `COPY --from=${from}: a stage of this Dockerfile`);
      copyInto(stage.files, source, { sources: paths.slice(0, -1), destination: paths.at(-1)!, workdir });
    }
    stages.push(stage);
  }
  return stages;
}

const context: Files = new Map(
  checkoutFiles.filter((path) => !isIgnored(path, ignoreRules(read('.dockerignore')))).map((path) => [`/${path}`, path]),
);
const dockerfile = read('Dockerfile');
const runtime = buildStages(dockerfile, context).at(-1)!;
const runtimeWorkdir =
  [
    ...dockerfile
      .split(/^FROM /m)
      .at(-1)!
      .matchAll(/^WORKDIR\s+(\S+)/gm),
  ].at(-1)?.[1] ?? '/';
/** The runtime image's checkout files, as paths in the checkout. */
const imageFiles = new Set(runtime.files.values());

// ---- what counts as test code, and what a module imports ---------------------------------------

function importsOf(text: string): { specifier: string; typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  for (const match of text.matchAll(
    /^\s*(import|export)(\s+type)?\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm,
  )) {
    found.push({ specifier: (match[3] ?? match[4] ?? match[5])!, typeOnly: match[2] !== undefined });
  }
  return found;
}

const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

function importsTestLibrary(path: string): string | undefined {
  if (!/\.(ts|tsx)$/.test(path)) return undefined;
  return importsOf(read(path)).find(({ specifier }) => TEST_LIBRARIES.includes(packageOf(specifier)))?.specifier;
}

function whyTestCode(path: string): string | undefined {
  if (path.endsWith('.test.ts')) return 'a test file';
  if (path.split('/').includes('testing')) return 'a test helper (a testing/ folder)';
  if (/^(test|bench|scripts)\//.test(path)) return `under ${path.split('/')[0]}/`;
  const library = importsTestLibrary(path);
  return library ? `imports ${library}` : undefined;
}

/** A relative import as tsx resolves it (no extensions in this code base): file.ts, file.tsx, file/index.ts, or the file named. */
function resolveImport(from: string, specifier: string): string | undefined {
  const base = posix.join(posix.dirname(from), specifier);
  return [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`, base].find((candidate) => checkoutFileSet.has(candidate));
}

/** The checkout files an entry file loads, itself included. */
function moduleClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (seen.has(path)) continue;
    seen.add(path);
    if (!/\.(ts|tsx)$/.test(path)) continue;
    for (const { specifier } of importsOf(read(path))) {
      if (!specifier.startsWith('.')) continue;
      const target = resolveImport(path, specifier);
      assert.ok(target, `${path} imports ${specifier}, which is not in the checkout`);
      pending.push(target);
    }
  }
  return seen;
}

/** The files the containers built from this Dockerfile run: each compose service's command, and the image's CMD. */
function entryFiles(): string[] {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, { build?: unknown; command?: string[] | string }>;
  };
  const commands = Object.values(compose.services)
    .filter((service) => service.build !== undefined)
    .map((service) => (Array.isArray(service.command) ? service.command : (service.command ?? '').split(/\s+/)));
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile.split(/^FROM /m).at(-1)!)?.[1];
  if (cmd) commands.push(JSON.parse(cmd) as string[]);
  return [...new Set(commands.map((command) => command.at(-1)!).filter((file) => file.endsWith('.ts')))].sort();
}

// ---- the checks ---------------------------------------------------------------------------------

test('what this test recognises, so the checks below can fail', () => {
  assert.ok(
    checkoutFiles.some((path) => whyTestCode(path) === 'a test file'),
    'the checkout has test files',
  );
  assert.ok(
    checkoutFiles.some((path) => whyTestCode(path)?.startsWith('a test helper')),
    'the checkout has testing/ folders',
  );
  assert.is(importsTestLibrary('platform/testing/http-fuzzing.ts'), 'fast-check', 'an import of a test library is recognised');
  assert.ok(isIgnored('platform/testing/ports.ts', ignoreRules('**/testing')), '**/testing leaves out a testing/ folder at any depth');
  assert.ok(isIgnored('a.unit.test.ts', ignoreRules('**/*.test.ts')), '**/ matches at the top too');
  assert.is(isIgnored('test/x.ts', ignoreRules('test\n!test/x.ts')), false, 'an exception after a rule brings a file back');
  assert.ok(context.size > 0 && context.size < checkoutFiles.length, 'the build context is part of the checkout');
});

test('the build context holds no test code: no test file, no testing/ folder, no e2e suite, bench or script, nothing importing a test library', () => {
  const offending = [...context.values()].flatMap((path) => {
    const why = whyTestCode(path);
    return why ? [`${path} (${why})`] : [];
  });
  assert.equal(offending, [], 'in the build context despite .dockerignore');
});

test('the runtime image holds each entry file a container runs, and every module it imports', () => {
  const entries = entryFiles();
  assert.ok(entries.length >= 6, `the services' entry files: ${entries.join(', ')}`);
  for (const entry of [
    'command-api/main.ts',
    'query-api/main.ts',
    'saga/main.ts',
    'saga/payment-sandbox/main.ts',
    'projectors/main.ts',
    'web/origin/main.ts',
  ]) {
    assert.ok(entries.includes(entry), `${entry} is run by a container`);
  }
  for (const entry of entries) {
    const missing = [...moduleClosure(entry)].filter((path) => !imageFiles.has(path));
    assert.equal(missing, [], `${entry} needs these, which the image does not hold`);
  }
  assert.ok(
    runtime.files.has(posix.join(runtimeWorkdir, 'command-api/main.ts')),
    `entry files sit under the runtime's WORKDIR (${runtimeWorkdir})`,
  );
  assert.ok(
    imageFiles.has('package.json') && imageFiles.has('tsconfig.json'),
    'package.json (npm ci) and tsconfig.json (tsx) are in the image',
  );
});

test('nothing in the runtime image imports a devDependency (the runtime installs production dependencies only)', () => {
  const { devDependencies } = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };
  const offending = [...imageFiles]
    .filter((path) => /\.(ts|tsx)$/.test(path))
    .flatMap((path) =>
      importsOf(read(path))
        .filter(({ specifier, typeOnly }) => !typeOnly && packageOf(specifier) in devDependencies)
        .map(({ specifier }) => `${path}: ${specifier}`),
    );
  assert.equal(offending, []);
});

test.run();
