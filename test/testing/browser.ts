/**
 * Real Chromium for the browser tests, the screenshots and the web bench: the machine's own
 * Chromium (Debian's package, or CHROMIUM_PATH) driven by playwright-core — never a downloaded
 * browser. One browser per test file; a context per user (its own cookies and storage); pages
 * that remember every console error and uncaught exception so a test can say none happened; an
 * accessibility scan (axe-core) that fails on serious or critical violations.
 */
import { existsSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type ConsoleMessage, type Page } from 'playwright-core';

export type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** Launches headless Chromium; a clear one-line error when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      // Chromium refuses to start its sandbox as root (CI runs as root, in a container).
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      // Containers often give /dev/shm 64 MB, too little for a renderer: use /tmp instead.
      '--disable-dev-shm-usage',
    ],
  });
}

/** A page and what went wrong in it: console errors and uncaught exceptions, as text. */
export interface WatchedPage {
  readonly page: Page;
  readonly errors: string[];
  /**
   * Fails when an error was recorded since the last call (or since the page opened), except those
   * matching `expected` (e.g. the browser's own log of a socket cut on purpose). Forgets them.
   */
  assertNoErrors(where: string, expected?: readonly RegExp[]): void;
}

function describe(message: ConsoleMessage): string {
  const location = message.location();
  return `console.error: ${message.text()}${location.url ? ` (${location.url}:${location.lineNumber})` : ''}`;
}

/** Watches `page` for console errors and uncaught exceptions. */
export function watchPage(page: Page): WatchedPage {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(describe(message));
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));
  return {
    page,
    errors,
    assertNoErrors(where, expected = []) {
      const unexpected = errors.splice(0).filter((error) => !expected.some((pattern) => pattern.test(error)));
      if (unexpected.length > 0) throw new Error(`${where}: the page logged ${unexpected.length} error(s):\n  ${unexpected.join('\n  ')}`);
    },
  };
}

/** A new context (its own storage: one user) and a watched page in it. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage & { context: BrowserContext }> {
  const context = await browser.newContext({ viewport: DESKTOP, ...options });
  const page = await context.newPage();
  return { ...watchPage(page), context };
}

/** The impacts that fail a scan; moderate and minor ones are reported by axe but not failed on. */
const FAILING_IMPACTS = new Set(['serious', 'critical']);

/**
 * Runs axe-core on what `page` shows now and fails on any serious or critical violation, listing
 * each rule with the elements it found (selector and the start of their HTML) and the fix axe gives.
 */
export async function assertAccessible(page: Page, where: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const failing = results.violations.filter((violation) => FAILING_IMPACTS.has(violation.impact ?? ''));
  if (failing.length === 0) return;
  const lines = failing.flatMap((violation) => [
    `[${violation.impact}] ${violation.id}: ${violation.help} (${violation.helpUrl})`,
    ...violation.nodes
      .slice(0, 5)
      .map(
        (node) =>
          `    at ${node.target.join(' ')}: ${node.html.slice(0, 160)}\n      ${node.failureSummary?.replace(/\n/g, '\n      ') ?? ''}`,
      ),
    ...(violation.nodes.length > 5 ? [`    … and ${violation.nodes.length - 5} more`] : []),
  ]);
  throw new Error(`${where}: ${failing.length} serious or critical accessibility violation(s):\n  ${lines.join('\n  ')}`);
}
