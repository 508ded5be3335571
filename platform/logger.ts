/**
 * The JSON logger every service uses (pino: one line of JSON per entry, cheap enough to leave on
 * in production). Pretty-printing is left to the reader's terminal (`| npx pino-pretty`).
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Shown as `service` on every line, so lines from several services can be told apart. */
  service: string;
  level?: LogLevel;
  /** Where lines go; default stdout. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

export function createLogger({ service, level = 'info', destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Tokens and cookies must never reach a log, whichever code path logs a request.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** The ids that tie a log line to the request and the event chain it belongs to. */
export interface CausationContext {
  correlationId: string;
  causationId?: string;
}

/** A child logger whose every line carries the correlation (and causation) id. */
export function withCausation(logger: Logger, { correlationId, causationId }: CausationContext): Logger {
  return logger.child(causationId === undefined ? { correlationId } : { correlationId, causationId });
}
