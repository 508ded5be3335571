/**
 * What Node's HTTP parser refuses before fastify sees a request (headers too large → 431, a
 * request that is not HTTP → 400, a request too slow to arrive → 408) is answered here, as
 * problem+json like every other error. fastify's own handler would answer plain JSON.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { API_CSP } from './security-headers';

function statusOf(error: NodeJS.ErrnoException): { status: number; detail: string } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, detail: 'The request did not arrive in time' };
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, detail: 'The request headers are larger than this server accepts (16 KiB in all)' };
  return { status: 400, detail: 'The request is not valid HTTP' };
}

export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A connection reset: nobody is left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, detail } = statusOf(error);
  const title = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'X-Content-Type-Options: nosniff\r\n' +
        `Content-Security-Policy: ${API_CSP}\r\n` +
        'Cache-Control: no-store\r\n' +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}
