/**
 * A Vite plugin that prints the console's JavaScript size, gzipped, after every build and fails
 * the build when it exceeds the budget: the console is opened on phones, and its weight only grows
 * unless something says no.
 */
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

export function bundleBudget({ maxKilobytesGzipped }: { maxKilobytesGzipped: number }): Plugin {
  return {
    name: 'console-bundle-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      let bytes = 0;
      for (const output of Object.values(bundle)) {
        // Every chunk counts, lazy ones too: the budget is what the whole console may cost.
        if (output.type === 'chunk') bytes += gzipSync(output.code, { level: 9 }).length;
      }
      const kilobytes = bytes / 1024;
      const line = `console bundle: ${kilobytes.toFixed(1)} KB gzipped (budget ${maxKilobytesGzipped} KB)`;
      process.stdout.write(`\n${line}\n`);
      if (kilobytes > maxKilobytesGzipped) this.error(`${line}: over budget`);
    },
  };
}
