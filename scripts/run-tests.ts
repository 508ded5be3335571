/**
 * The one test command: runs every `*.test.ts` file as its own uvu process (each file gets a
 * clean process, so one file's servers and timers cannot leak into another's), a few at a time,
 * and closes with the line CI reads: `N passed, N failed`.
 *
 *   tsx scripts/run-tests.ts [--typecheck] [--lint] [--kind unit|int|e2e] [path-substring ...]
 *   TEST_CONCURRENCY=2 (default: 2)
 *   TEST_FILE_TIMEOUT_S=600 (default: 600): a file still running then is killed and counts as failed,
 *   so a hung test can never hang CI. Generous: the crash tests start a score of processes, and
 *   on a machine busy with other work that alone can take minutes.
 *   TEST_SERVERS=off: skip the servers' preflight (for int files that need neither server).
 *
 * Before anything runs, a run with an int or e2e file checks PostgreSQL and NATS where the tests
 * look, starts what is missing for the run and stops it after, or names in one line what to
 * start and exits 2 (test-servers/preflight.ts). `--typecheck` (npm test) type-checks after that
 * check, so a missing server is reported in a second, not after the compiler. `--lint` (npm test)
 * then runs `npm run lint`; a lint failure counts as one failed test and the files still run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { chromiumProblem, drivesBrowser } from './test-servers/chromium';
import { checkTestServers, type TestServers } from './test-servers/preflight';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const typecheck = args.includes('--typecheck');
const lint = args.includes('--lint');
const kindIndex = args.indexOf('--kind');
const kind = kindIndex >= 0 ? args[kindIndex + 1] : undefined;
const filters = args.filter(
  (arg, i) => arg !== '--typecheck' && arg !== '--lint' && (kindIndex < 0 || (i !== kindIndex && i !== kindIndex + 1)),
);
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_S ?? 600) * 1000;

function findTestFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return findTestFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = findTestFiles(root)
  .map((path) => relative(root, path))
  .filter((path) => !kind || path.endsWith(`.${kind}.test.ts`))
  .filter((path) => filters.length === 0 || filters.some((filter) => path.includes(filter)))
  .sort();

const log = (line: string) => process.stdout.write(`[run-tests] ${line}\n`);
const running = new Set<ChildProcess>();
let servers: Promise<TestServers | undefined> = Promise.resolve(undefined);
let interrupted = false;

// Unit files need no server: a unit-only run (npm run test:unit) never checks or starts one.
const needsServers = process.env.TEST_SERVERS !== 'off' && files.some((file) => !file.endsWith('.unit.test.ts'));
const preflight = needsServers ? await checkTestServers(process.env) : undefined;
const missingBrowser = files.some((file) => drivesBrowser(join(root, file))) ? chromiumProblem(process.env) : undefined;
const problems = [...(preflight?.problems ?? []), ...(missingBrowser ? [missingBrowser] : [])];
if (problems.length > 0) {
  for (const problem of problems) process.stderr.write(`npm test: ${problem}\n`);
  process.exit(2);
}
if (preflight && preflight.found.length > 0) log(`${preflight.found.join(' and ')} answer${preflight.found.length > 1 ? '' : 's'}`);

// Interrupted (Ctrl-C, CI's timeout): end the files, then stop the servers, even ones still starting.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    for (const child of running) child.kill('SIGKILL');
    void servers
      .then(
        (started) => started?.stop(log),
        () => undefined,
      )
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

if (typecheck) {
  const { code } = await runNpmScript('typecheck', 'inherit');
  if (code !== 0) process.exit(code || 1);
}

// Before the files, not beside them: ESLint's type-aware rules take a core for about a minute.
const lintResult = lint ? await runLint() : undefined;

if (preflight && preflight.missing.length > 0) {
  log(`not running where the tests look, so starting for this run: ${preflight.missing.join(' and ')}`);
  servers = preflight.start(log);
  try {
    await servers;
  } catch (error) {
    process.stderr.write(`npm test: ${(error as Error).message}\n`);
    process.exit(2);
  }
}

const testServers = await servers;

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
}

function runFile(file: string): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, ...preflight?.env, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      output += `\n[run-tests] killed after ${fileTimeoutMs / 1000} s (TEST_FILE_TIMEOUT_S)\n`;
      child.kill('SIGKILL');
    }, fileTimeoutMs);
    child.on('close', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      const count = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(output)?.[1] ?? NaN);
      const total = count('Total');
      let passed = count('Passed');
      const skipped = count('Skipped') || 0;
      let failed = total - passed - skipped;
      if (Number.isNaN(total)) {
        // The file crashed or hung before uvu could report: count it as one failure.
        passed = 0;
        failed = 1;
      } else if (timedOut || (code !== 0 && failed === 0)) {
        // Reported, then failed to exit (a handle left open) or exited non-zero: at least one failure.
        failed = Math.max(failed, 1);
      }
      const seconds = (Date.now() - started) / 1000;
      if (interrupted) return resolve({ file, passed, failed, skipped, seconds: 0 });
      const verdict = failed > 0 ? 'FAIL' : 'ok  ';
      process.stdout.write(`${verdict} ${file}  (${passed} passed, ${failed} failed, ${seconds.toFixed(1)} s)\n`);
      if (failed > 0) process.stdout.write(`${indent(output)}\n  exit: ${code ?? signal}\n`);
      resolve({ file, passed, failed, skipped, seconds });
    });
  });
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/** `npm run <script>`, so package.json stays the one place that says how; its output shown as it comes, or kept. */
function runNpmScript(script: string, stdio: 'inherit' | 'pipe'): Promise<{ code: number; output: string }> {
  const npm = process.env.npm_execpath;
  const [command, prefix] = npm?.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  return new Promise((resolve) => {
    const child = spawn(command, [...prefix, 'run', script], {
      cwd: root,
      stdio: ['ignore', stdio, stdio],
      shell: process.platform === 'win32',
    });
    running.add(child);
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ code: 1, output: `${output}\n${error.message}` }));
    child.on('close', (code) => {
      running.delete(child);
      resolve({ code: code ?? 1, output });
    });
  });
}

/** `npm run lint`, reported like a test file: one failure when it finds anything (a clean lint is no test passed). */
async function runLint(): Promise<FileResult> {
  const started = Date.now();
  const { code, output } = await runNpmScript('lint', 'pipe');
  const seconds = (Date.now() - started) / 1000;
  const failed = code === 0 ? 0 : 1;
  process.stdout.write(`${failed ? 'FAIL' : 'ok  '} npm run lint  (${seconds.toFixed(1)} s)\n`);
  if (failed) process.stdout.write(`${indent(output)}\n  exit: ${code}\n`);
  return { file: 'npm run lint', passed: 0, failed, skipped: 0, seconds };
}

const queue = [...files];
const results: FileResult[] = lintResult ? [lintResult] : [];
try {
  await Promise.all(
    Array.from({ length: Math.max(1, concurrency) }, async () => {
      for (let file = queue.shift(); file; file = queue.shift()) results.push(await runFile(file));
    }),
  );
} finally {
  await testServers?.stop(log);
}

const passed = results.reduce((sum, result) => sum + result.passed, 0);
const failed = results.reduce((sum, result) => sum + result.failed, 0);
const skipped = results.reduce((sum, result) => sum + result.skipped, 0);
if (files.length === 0) process.stdout.write('no test files found\n');
process.stdout.write(`\n${files.length} files\n`);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
