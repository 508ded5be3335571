/**
 * The correlation id ties together everything one client request caused: the request's log
 * lines, the events it appended (metadata `correlationId`), and what the saga and projectors
 * did because of them. A caller may pass its own in `X-Correlation-Id`; otherwise we make one.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CORRELATION_ID_HEADER = 'x-correlation-id';

// A caller-chosen id ends up in logs and event metadata: accept only a plain token of sane
// length, so a header cannot forge log lines or bloat every event.
const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

export function correlationIdFor(request: Pick<IncomingMessage, 'headers'>): string {
  const given = request.headers[CORRELATION_ID_HEADER];
  return typeof given === 'string' && acceptable.test(given) ? given : randomUUID();
}
