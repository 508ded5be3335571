/** A logger for tests that collects its lines (parsed) instead of printing them. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../logger';

export function createCapturingLogger(level: 'info' | 'debug' | 'warn' | 'error' = 'info'): {
  logger: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ service: 'test', level, destination }), lines };
}
