/**
 * The projector service: `npm run start:projectors`. Runs the read-model migrations, then every
 * projection and the notification publisher; serves /health, /ready, /metrics and /projections
 * on PROJECTORS_PORT (default 3004).
 */
import { loadConfigOrExit } from '../platform/config';
import { installGracefulShutdown } from '../platform/http/shutdown';
import { createLogger } from '../platform/logger';
import { projectorsEnv } from './config';
import { startProjectorService } from './service';

const config = loadConfigOrExit(projectorsEnv);
const logger = createLogger({ service: 'projectors', level: config.LOG_LEVEL });

try {
  const service = await startProjectorService(config, logger);
  const shutdown = installGracefulShutdown({ server: service.app, logger });
  shutdown.onClose('projections, notifier and connections', () => service.close());
  await service.app.listen({ port: config.PROJECTORS_PORT, host: config.HOST });
} catch (error) {
  logger.fatal({ err: error }, 'the projector service could not start');
  process.exit(1);
}
