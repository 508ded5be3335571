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
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'headers.cookie',
          'authorization',
          '*.authorization',
        ],
        censor: '[redacted]',
      },
      // fastify merges these over its own: the request line without its query string, which may
      // carry a token (`?access_token=`, socket.io's `?token=`) or a customer's search.
      serializers: { req: requestForLog },
    },
    scrubbing(destination ?? pino.destination(1)),
  );
}

/** `/orders?after=x` → `/orders?[redacted]`. */
export function pathForLog(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : `${url.slice(0, query)}?[redacted]`;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
  host?: string;
  socket?: { remotePort?: number };
}

function requestForLog(request: LoggedRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: typeof request.url === 'string' ? pathForLog(request.url) : request.url,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

// Whatever else reaches a line — an error quoting a URL, a library's message — a bearer token or a
// `token=`/`access_token=` parameter is cut out of the serialized line before it is written.
const SECRETS = /(\b(?:access_token|refresh_token|id_token|token)=)[^&\s"\\]+|(\bBearer\s+)[A-Za-z0-9\-._~+/]+=*/gi;

export function scrubSecrets(line: string): string {
  return line.replace(SECRETS, (_match, parameter: string | undefined, bearer: string | undefined) => `${parameter ?? bearer}[redacted]`);
}

function scrubbing(
  destination: DestinationStream & { flush?: (callback?: (error?: Error) => void) => void; flushSync?: () => void },
): DestinationStream {
  return {
    write(line: string) {
      // Most lines hold neither: test cheaply before the replacing regex.
      return destination.write(/token=|bearer/i.test(line) ? scrubSecrets(line) : line);
    },
    // logger.flush() and pino's exit handling reach the real stream through these.
    ...(destination.flush ? { flush: (callback?: (error?: Error) => void) => destination.flush!(callback) } : {}),
    ...(destination.flushSync ? { flushSync: () => destination.flushSync!() } : {}),
  } as DestinationStream;
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
