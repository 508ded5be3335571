/**
 * A payment provider for development and tests: a real HTTP server whose answers are chosen by
 * the card token, so every path of the checkout can be driven on purpose.
 *
 *   tok_ok       approves
 *   tok_decline  declines (402)
 *   tok_timeout  authorizes, but never answers (the checkout's payment deadline must fire and void it)
 *   tok_flaky    answers 503 to the first two attempts of an idempotency key, then approves
 *   other        declines as `invalid_token`
 *
 * Authorizations are named by the Idempotency-Key they were requested with; capture, void and
 * refund name that key in the path. Repeating a request with the same Idempotency-Key returns the
 * first answer (5xx answers are not results and are not remembered). A void that arrives before
 * the authorization it names leaves a tombstone, so that late authorization is refused: this is
 * what makes "abandon the authorization and void it" safe for the saga.
 *
 * Like a real provider's, its API is never open: every route but `/health` wants the sandbox's
 * key, as `Authorization: Bearer <key>` or `X-Sandbox-Key: <key>`; without it, 401. The listing
 * shows card tokens and a refund moves money: neither is anyone's but the saga's.
 */
import { timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

export type AuthorizationStatus = 'authorized' | 'declined' | 'captured' | 'voided' | 'refunded';

export interface SandboxAuthorization {
  key: string;
  authorizationId: string;
  token: string;
  amount: number;
  currency: string;
  status: AuthorizationStatus;
  declineReason?: string;
}

export interface PaymentSandboxOptions {
  /** The key every call but /health must carry (PAYMENT_SANDBOX_KEY). */
  key: string;
  /** Added before every answer (ms). */
  latencyMs?: number;
  logger?: boolean;
}

export interface PaymentSandbox {
  readonly app: FastifyInstance;
  /** Every authorization by its key (tests inspect them). */
  readonly authorizations: ReadonlyMap<string, SandboxAuthorization>;
  /** How many requests each route received, for tests (`authorize`, `capture`, `void`, `refund`). */
  readonly calls: Record<string, number>;
  /** The next `count` calls of `operation` answer 503 (to test retries of compensations). */
  failNext(operation: 'authorize' | 'capture' | 'void' | 'refund', count: number): void;
  setLatency(ms: number): void;
}

interface Answer {
  status: number;
  body: unknown;
}

/** Whether a request carries `key`; compared in constant time. */
export function carriesSandboxKey(headers: Record<string, string | string[] | undefined>, key: string): boolean {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(typeof headers.authorization === 'string' ? headers.authorization : '')?.[1];
  const given = bearer ?? (typeof headers['x-sandbox-key'] === 'string' ? headers['x-sandbox-key'] : undefined);
  if (given === undefined) return false;
  const expected = Buffer.from(key);
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function createPaymentSandbox(options: PaymentSandboxOptions): PaymentSandbox {
  if (!options.key) throw new Error('the payment sandbox needs a key');
  const app = Fastify({
    logger: options.logger
      ? { redact: { paths: ['req.headers.authorization', 'req.headers["x-sandbox-key"]'], censor: '[redacted]' } }
      : false,
    forceCloseConnections: true,
    keepAliveTimeout: 60_000,
  });
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url === '/health') return;
    if (carriesSandboxKey(request.headers, options.key)) return;
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="payment-sandbox"')
      .type('application/problem+json; charset=utf-8')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: 'Unauthorized',
          status: 401,
          detail: 'The payment sandbox wants its key: Authorization: Bearer <PAYMENT_SANDBOX_KEY> or X-Sandbox-Key',
        }),
      );
  });
  const authorizations = new Map<string, SandboxAuthorization>();
  /** Keys voided before any authorization arrived. */
  const tombstones = new Set<string>();
  const answers = new Map<string, Answer>();
  const flakyAttempts = new Map<string, number>();
  const faults: Record<string, number> = {};
  const calls: Record<string, number> = { authorize: 0, capture: 0, void: 0, refund: 0 };
  let latencyMs = options.latencyMs ?? 0;
  let sequence = 0;

  /** Runs `operation` once per Idempotency-Key and replays its answer afterwards. */
  function idempotent(
    operation: string,
    handle: (body: Record<string, unknown>, key: string, params: Record<string, string>) => Answer | 'hang' | 'unavailable',
  ) {
    return async (
      request: { headers: Record<string, unknown>; body: unknown; params: unknown },
      reply: { code(status: number): { send(body: unknown): unknown }; hijack(): void },
    ) => {
      calls[operation] = (calls[operation] ?? 0) + 1;
      if (latencyMs > 0) await sleep(latencyMs);
      const idempotencyKey = request.headers['idempotency-key'];
      if (typeof idempotencyKey !== 'string' || idempotencyKey.length === 0)
        return reply.code(400).send({ error: 'Idempotency-Key header is required' });
      if ((faults[operation] ?? 0) > 0) {
        faults[operation]! -= 1;
        return reply.code(503).send({ error: 'injected fault' });
      }
      const cacheKey = `${operation} ${idempotencyKey}`;
      const remembered = answers.get(cacheKey);
      if (remembered) return reply.code(remembered.status).send(remembered.body);
      const answer = handle((request.body ?? {}) as Record<string, unknown>, idempotencyKey, request.params as Record<string, string>);
      if (answer === 'hang') {
        // Never answer: the connection stays open until the client gives up or the server closes.
        reply.hijack();
        return;
      }
      if (answer === 'unavailable') return reply.code(503).send({ error: 'temporarily unavailable' });
      answers.set(cacheKey, answer);
      return reply.code(answer.status).send(answer.body);
    };
  }

  app.get('/health', async () => ({ status: 'ok' }));

  app.post(
    '/v1/authorizations',
    idempotent('authorize', (body, key) => {
      const token = String(body.token ?? '');
      const amount = Number(body.amount);
      const currency = String(body.currency ?? '');
      if (token === 'tok_flaky') {
        const attempts = (flakyAttempts.get(key) ?? 0) + 1;
        flakyAttempts.set(key, attempts);
        if (attempts <= 2) return 'unavailable';
      }
      if (tombstones.has(key)) return { status: 402, body: { result: 'declined', reason: 'voided_before_authorization' } };
      const existing = authorizations.get(key);
      if (existing) {
        if (existing.token === 'tok_timeout' && existing.status === 'authorized') return 'hang';
        return existing.status === 'declined'
          ? { status: 402, body: { result: 'declined', reason: existing.declineReason } }
          : { status: 201, body: { result: 'approved', authorizationId: existing.authorizationId } };
      }
      const authorizationId = `auth_${(++sequence).toString().padStart(6, '0')}`;
      const approved = token === 'tok_ok' || token === 'tok_flaky' || token === 'tok_timeout';
      const declineReason = token === 'tok_decline' ? 'card_declined' : 'invalid_token';
      authorizations.set(key, {
        key,
        authorizationId,
        token,
        amount,
        currency,
        status: approved ? 'authorized' : 'declined',
        ...(approved ? {} : { declineReason }),
      });
      if (token === 'tok_timeout') return 'hang';
      return approved
        ? { status: 201, body: { result: 'approved', authorizationId } }
        : { status: 402, body: { result: 'declined', reason: declineReason } };
    }),
  );

  app.post(
    '/v1/authorizations/:key/capture',
    idempotent('capture', (_body, _idempotencyKey, { key }) => {
      const authorization = authorizations.get(key!);
      if (!authorization) return { status: 409, body: { result: 'refused', reason: 'not_authorized' } };
      if (authorization.status === 'captured' || authorization.status === 'refunded') return { status: 200, body: { result: 'captured' } };
      if (authorization.status !== 'authorized') return { status: 409, body: { result: 'refused', reason: authorization.status } };
      authorization.status = 'captured';
      return { status: 200, body: { result: 'captured' } };
    }),
  );

  app.post(
    '/v1/authorizations/:key/void',
    idempotent('void', (_body, _idempotencyKey, { key }) => {
      const authorization = authorizations.get(key!);
      if (!authorization) {
        tombstones.add(key!);
        return { status: 200, body: { result: 'nothing_to_void' } };
      }
      if (authorization.status === 'declined') return { status: 200, body: { result: 'nothing_to_void' } };
      if (authorization.status === 'captured' || authorization.status === 'refunded')
        return { status: 409, body: { result: 'refused', reason: 'captured' } };
      authorization.status = 'voided';
      return { status: 200, body: { result: 'voided', authorizationId: authorization.authorizationId } };
    }),
  );

  app.post(
    '/v1/authorizations/:key/refund',
    idempotent('refund', (_body, _idempotencyKey, { key }) => {
      const authorization = authorizations.get(key!);
      if (!authorization || (authorization.status !== 'captured' && authorization.status !== 'refunded'))
        return { status: 200, body: { result: 'nothing_to_refund' } };
      authorization.status = 'refunded';
      return { status: 200, body: { result: 'refunded', authorizationId: authorization.authorizationId } };
    }),
  );

  app.get('/v1/authorizations', async () => [...authorizations.values()]);
  app.get<{ Params: { key: string } }>('/v1/authorizations/:key', async (request, reply) => {
    const authorization = authorizations.get(request.params.key);
    return authorization ?? reply.code(404).send({ error: 'no such authorization' });
  });

  return {
    app,
    authorizations,
    calls,
    failNext(operation, count) {
      faults[operation] = count;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
  };
}
