import { existsSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

/** The README must not rot: its code copies match their files, and its npm commands exist. */

const root = new URL('..', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const scripts = Object.keys(JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).scripts as Record<string, string>);

test('every code block marked with a file is that file, verbatim', () => {
  const marked = [...readme.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)```/g)];
  assert.ok(marked.length >= 1, 'the README embeds at least one example file');
  for (const [, path, code] of marked) assert.fixture(code!, readFileSync(new URL(path!, root), 'utf8'), path);
});

test('every `npm run` command in the README is a script of package.json', () => {
  const used = new Set([...readme.matchAll(/npm run (?:-s )?([\w:-]+)/g)].map((match) => match[1]!));
  assert.ok(used.size >= 5);
  for (const script of used) assert.ok(scripts.includes(script), `npm run ${script} is not a script`);
});

test('every relative link in the README points at a file of the repository', () => {
  const links = [...readme.matchAll(/\]\(([^)#\s]+)\)/g)].map((match) => match[1]!).filter((link) => !/^[a-z]+:/.test(link));
  assert.ok(links.length >= 5);
  for (const link of links) assert.ok(existsSync(new URL(link, root)), `${link} does not exist`);
});

test.run();
