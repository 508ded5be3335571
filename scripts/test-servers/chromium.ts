/**
 * The browser tests drive Chromium with playwright-core from where the system installed it
 * (Debian's package, or CHROMIUM_PATH), never a downloaded build. A run that includes one of them
 * names a missing Chromium in one line before anything runs, as it does for a missing server.
 */
import { existsSync, readFileSync } from 'node:fs';

/** The same place test/testing/browser.ts launches from. */
export function chromiumPath(env: NodeJS.ProcessEnv): string {
  return env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/** Whether a test file drives a browser: it imports playwright-core or the browser test support (test/testing/browser.ts). */
export function drivesBrowser(path: string): boolean {
  return /\bfrom\s+'(playwright-core|[./]*(test\/)?testing\/browser)'/.test(readFileSync(path, 'utf8'));
}

/** One line naming what to do, or undefined when Chromium is there. */
export function chromiumProblem(env: NodeJS.ProcessEnv): string | undefined {
  const path = chromiumPath(env);
  if (existsSync(path)) return undefined;
  return `Chromium is not at ${path}, and the browser tests drive it: run apt-get install chromium (.ci/run does), or set CHROMIUM_PATH to a Chromium or Chrome binary.`;
}
