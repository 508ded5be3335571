/**
 * `npm run start:web`: the console's origin as a process (compose's `web` service). It serves the
 * console built into web/dist/ (the image builds it; locally `npm run web:build`) and fronts the
 * APIs at COMMAND_API_URL and QUERY_API_URL. Never a development sign-in here: without one the
 * console asks for a token. SIGTERM/SIGINT close it gracefully.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '../../platform/config';
import { installGracefulShutdown } from '../../platform/http';
import { metricsListenerOf } from '../../platform/http/metrics-listener';
import { createLogger } from '../../platform/logger';
import { buildWebOrigin } from './app';
import { consoleOidcOf, webOriginEnv } from './config';

// Where web/build.ts and `npm run web:build` put it.
const consoleDistDir = fileURLToPath(new URL('../dist', import.meta.url));

const config = loadConfigOrExit(webOriginEnv);
const logger = createLogger({ service: 'web', level: config.LOG_LEVEL });

if (!existsSync(join(consoleDistDir, 'index.html'))) {
  process.stderr.write(`The console is not built (${consoleDistDir}/index.html is missing): run \`npm run web:build\` first.\n`);
  process.exit(1);
}

const oidc = consoleOidcOf(config);
const metricsListener = metricsListenerOf(config);
const app = await buildWebOrigin({
  commandApiUrl: config.COMMAND_API_URL,
  queryApiUrl: config.QUERY_API_URL,
  distDir: consoleDistDir,
  ...(oidc ? { oidc } : {}),
  ...(metricsListener ? { metricsListener } : {}),
  ...(config.TRUST_PROXY ? { trustProxy: config.TRUST_PROXY } : {}),
  logger,
});
installGracefulShutdown({ server: app, logger });

try {
  await app.listen({ port: config.WEB_PORT, host: config.HOST });
} catch (error) {
  logger.fatal({ err: error }, 'could not listen');
  process.exit(1);
}
