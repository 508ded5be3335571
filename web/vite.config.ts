/**
 * The console's build: `vite build --config web/vite.config.ts` writes web/dist (served at `/` by
 * the console's origin, which also fronts the APIs), and `vite --config web/vite.config.ts` serves
 * it in development, proxying the same paths to the origin `npm start` runs on port 3000.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { bundleBudget } from './bundle-budget.ts';

const origin = 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // JSX is compiled by Oxc (Vite 8): Preact's automatic runtime, no Babel preset needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: {
    // Libraries written for React get Preact (none today; keeps a stray import from pulling React in).
    alias: { react: 'preact/compat', 'react-dom': 'preact/compat' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  plugins: [bundleBudget({ maxKilobytesGzipped: 150 })],
  server: {
    proxy: {
      '/api': { target: origin },
      '/socket.io': { target: origin, ws: true },
      '/console-config.json': { target: origin },
      '/dev': { target: origin },
    },
  },
});
