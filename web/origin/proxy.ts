/**
 * The APIs behind the console's origin: `/api/commands/*` → the command API, `/api/queries/*` →
 * the query API (the prefix stripped: `/api/commands/orders` → `/orders`), and `/socket.io/*`
 * (long polling and the websocket upgrade) → the query API's socket.io server.
 *
 * What passes through unchanged: the method, the path after the prefix, the query string, the
 * body (streamed, never parsed here), every request header (Authorization, Idempotency-Key,
 * X-Min-Position, …) and the API's status, headers and body. What the origin adds: the request's
 * correlation id, so the origin's log line and the API's share one id even when the browser sent
 * none; and who asked, since the APIs see only the origin's address: `X-Forwarded-For` (the
 * browser's address, after what proxies this origin trusts forwarded: whatever else a client wrote
 * there is dropped), `X-Forwarded-Host` (the Host the browser asked for: the proxy rewrites Host
 * to the API's, and socket.io's origin check compares a page's Origin with it) and
 * `X-Forwarded-Proto`, on HTTP and on the websocket upgrade alike. The APIs believe them only
 * from the addresses in their TRUST_PROXY. What it answers itself: a problem+json 502 (504 on a timeout) when an API cannot be
 * reached, so the console can say "the shop cannot be reached" instead of showing an HTML page.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import fastifyHttpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CORRELATION_ID_HEADER, instanceOf, sendProblem, statusTitle, type HttpServer } from '../../platform/http';
import { forwardedChain, trustedProxies, trustsNobody, type TrustedProxies } from '../../platform/http/client-address';

/** The `type` of the problem the origin answers when an API does not: the console keys on it. */
export const UNREACHABLE_PROBLEM_TYPE = 'urn:checkout:problem:api-unreachable';

export const SOCKET_IO_PATH = '/socket.io';

/**
 * Longer than anything an API holds a request open for on purpose: a socket.io long poll (25 s
 * ping interval) and a read-your-writes wait (READ_YOUR_WRITES_TIMEOUT_MS, at most 60 s).
 */
const UPSTREAM_TIMEOUT_MS = 75_000;

export interface Upstream {
  /** Named in the problem's detail ("the query API cannot be reached"). */
  name: string;
  url: string;
}

export async function proxyTheApis(
  app: HttpServer,
  { commandApi, queryApi, trustProxy = [] }: { commandApi: Upstream; queryApi: Upstream; trustProxy?: readonly string[] },
): Promise<void> {
  const trusted = trustProxy.length ? trustedProxies(trustProxy) : trustsNobody;
  // Requests to the APIs are streamed through, not parsed: the base server's JSON parser (with its
  // depth limit) is the APIs' business. The proxy registers its pass-through parsers in this scope.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    await scope.register(fastifyHttpProxy, { ...httpOptions(commandApi, trusted), prefix: '/api/commands' });
    await scope.register(fastifyHttpProxy, { ...httpOptions(queryApi, trusted), prefix: '/api/queries' });
    await scope.register(fastifyHttpProxy, {
      ...httpOptions(queryApi, trusted),
      prefix: SOCKET_IO_PATH,
      rewritePrefix: SOCKET_IO_PATH,
      websocket: true,
      // The ws client forwards only the cookie by default. socket.io reads its token from the
      // handshake's `auth` (inside the connection), but a client may also send the header; and
      // the page's Origin must reach the API, whose origin check would otherwise wave it through.
      wsClientOptions: {
        rewriteRequestHeaders: (headers: Record<string, string>, request: FastifyRequest) =>
          forwardedWebSocketHeaders(headers, request, trusted),
      } as object,
    });
  });
  endLongPollsOnClose(app);
  refuseUpgradesElsewhere(app);
}

function httpOptions(upstream: Upstream, trusted: TrustedProxies) {
  return {
    upstream: upstream.url,
    // Our own request log line is enough; the proxy's two extra lines per request are noise.
    disableRequestLogging: true,
    destroyAgent: true,
    undici: { headersTimeout: UPSTREAM_TIMEOUT_MS, bodyTimeout: UPSTREAM_TIMEOUT_MS, connect: { timeout: 5_000 } },
    replyOptions: {
      rewriteRequestHeaders: (request, headers) => ({
        ...headers,
        [CORRELATION_ID_HEADER]: request.id,
        ...whoAsked(request as FastifyRequest, trusted),
      }),
      // By default a GET answered 503 is retried up to 10 times: but a 503 from an API is an
      // answer (a read-your-writes wait ran out, not ready yet) that the client must see as is.
      retryDelay: () => null,
      // Typed for HTTP/2 servers too; this one is HTTP/1.
      onError: (reply, { error }) => answerUnreachable(reply as FastifyReply, upstream, error),
    } satisfies ReplyOptions,
  };
}

type ReplyOptions = NonNullable<FastifyHttpProxyOptions['replyOptions']>;

function answerUnreachable(reply: FastifyReply, upstream: Upstream, error: Error): void {
  const timedOut = (error as { statusCode?: number }).statusCode === 504;
  const status = timedOut ? 504 : 502;
  reply.request.log.warn({ err: error, upstream: upstream.url }, `${upstream.name} did not answer`);
  sendProblem(reply, {
    type: UNREACHABLE_PROBLEM_TYPE,
    title: statusTitle(status),
    status,
    detail: timedOut ? `The ${upstream.name} did not answer in time.` : `The ${upstream.name} cannot be reached.`,
    instance: instanceOf(reply.request),
    correlationId: reply.request.id,
  });
}

function forwardedWebSocketHeaders(
  headers: Record<string, string>,
  request: FastifyRequest,
  trusted: TrustedProxies,
): Record<string, string> {
  const forwarded: Record<string, string> = { ...headers, [CORRELATION_ID_HEADER]: request.id, ...whoAsked(request, trusted) };
  const { authorization, cookie, origin } = request.headers;
  if (authorization) forwarded.authorization = authorization;
  if (cookie) forwarded.cookie = cookie;
  if (origin) forwarded.origin = origin;
  return forwarded;
}

/** The X-Forwarded-* an API needs to know the browser (see the top of this file). */
function whoAsked(request: FastifyRequest, trusted: TrustedProxies): Record<string, string> {
  return {
    'x-forwarded-for': forwardedChain(request.raw.socket.remoteAddress ?? '', request.headers['x-forwarded-for'], trusted).join(', '),
    // fastify's own, which already take a trusted proxy's X-Forwarded-Host/-Proto.
    'x-forwarded-host': request.host,
    'x-forwarded-proto': request.protocol,
  };
}

/**
 * A socket.io long poll stays open until the server has something to send (up to its 25 s ping
 * interval), and a graceful close waits for requests in flight: end the polls at once, the
 * clients reconnect by themselves. (Websockets are closed by the proxy itself.)
 */
function endLongPollsOnClose(app: HttpServer): void {
  const polls = new Set<IncomingMessage>();
  app.addHook('onRequest', async (request) => {
    // A websocket's request is hijacked (the proxy closes those sockets itself).
    if (!request.url.startsWith(`${SOCKET_IO_PATH}/`) || request.headers.upgrade) return;
    polls.add(request.raw);
    request.raw.once('close', () => polls.delete(request.raw));
  });
  app.addHook('preClose', async () => {
    for (const poll of polls) poll.destroy();
  });
}

/**
 * The proxy hands every websocket upgrade to the router when it is the server's only `upgrade`
 * listener, and one aimed at an API prefix would then hang on a route that cannot upgrade. With a
 * second listener it takes only those under its own prefix; this one refuses the others.
 */
function refuseUpgradesElsewhere(app: HttpServer): void {
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
    const path = (request.url ?? '/').split('?', 1)[0]!;
    if (path === SOCKET_IO_PATH || path.startsWith(`${SOCKET_IO_PATH}/`)) return;
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
}
