/**
 * Graceful shutdown. An orchestrator stops a container with SIGTERM and kills it a little later,
 * so on the signal: stop accepting connections, let the requests already in flight finish (a
 * command half-answered leaves its client guessing whether it was applied), then close what the
 * service opened (event store client, database pool, NATS) and exit 0.
 */
import type { Logger } from '../logger';

interface Closable {
  close(): Promise<unknown>;
}

export type CloseHook = () => unknown | Promise<unknown>;

export interface GracefulShutdownOptions {
  /** The HTTP server (or anything with `close()` that waits for in-flight work). */
  server?: Closable;
  logger: Logger;
  signals?: readonly NodeJS.Signals[];
  /** Past this, give up waiting and exit 1 (default 10 s, under Kubernetes' 30 s grace). */
  timeoutMs?: number;
  /** Injected by tests; default `process.exit`. */
  exit?: (code: number) => void;
}

export interface GracefulShutdown {
  /** Run on shutdown after the server closed, most recently registered first (like `defer`). */
  onClose(name: string, hook: CloseHook): void;
  /** Shut down now (also what the signals do). Resolves after `exit` was called. */
  shutdown(reason: string): Promise<void>;
  /** Remove the signal listeners without shutting down (tests). */
  dispose(): void;
}

export function installGracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const { server, logger, signals = ['SIGTERM', 'SIGINT'], timeoutMs = 10_000, exit = (code: number) => process.exit(code) } = options;
  const hooks: { name: string; hook: CloseHook }[] = [];
  let running: Promise<void> | undefined;

  async function closeEverything(): Promise<boolean> {
    let clean = true;
    if (server) {
      try {
        await server.close();
      } catch (error) {
        clean = false;
        logger.error({ err: error }, 'closing the HTTP server failed');
      }
    }
    for (const { name, hook } of [...hooks].reverse()) {
      try {
        await hook();
        logger.info({ resource: name }, 'closed');
      } catch (error) {
        clean = false;
        logger.error({ err: error, resource: name }, 'closing failed');
      }
    }
    return clean;
  }

  function shutdown(reason: string): Promise<void> {
    running ??= (async () => {
      logger.info({ reason }, 'shutting down: finishing in-flight requests');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([closeEverything(), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        logger.error({ timeoutMs }, 'shutdown did not finish in time; exiting anyway');
        exit(1);
      } else {
        logger.info('shutdown complete');
        exit(outcome ? 0 : 1);
      }
    })();
    return running;
  }

  const onSignal = (signal: NodeJS.Signals) => {
    if (running) {
      // A second Ctrl-C means "now": don't make the operator wait for a stuck request.
      logger.warn({ signal }, 'second signal during shutdown; exiting immediately');
      exit(1);
      return;
    }
    void shutdown(signal);
  };
  for (const signal of signals) process.on(signal, onSignal);

  return {
    onClose(name, hook) {
      hooks.push({ name, hook });
    },
    shutdown,
    dispose() {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}
