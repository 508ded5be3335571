/**
 * What the command API answers when a command is refused. Every answer is problem+json; `type`
 * names the problem (`urn:checkout:problem:<name>`) so a client can branch on it without parsing
 * the detail, and domain refusals also carry the domain's `code`.
 *
 * Status by cause:
 * - 404: the thing the request names does not exist — an unknown order (`order_not_found`), an
 *   unknown SKU, whether in the URL or on an order line (`not_registered`), and another customer's
 *   order (`not_order_customer`): answered exactly like an unknown order, so a customer cannot
 *   learn which order ids exist.
 * - 409: the stream kept moving under a command that was retried (or may not be retried), or a
 *   request with the same Idempotency-Key is still being handled.
 * - 422: every other business rule (`order_already_final`, `currency_mismatch`, ...) and a reused
 *   Idempotency-Key with another request.
 */
import { isDomainError, type DomainError, type DomainErrorCode } from '../../domain';
import { HttpProblem } from '../../platform/http';
import { VersionConflictError } from '../../platform/eventstore';

const PREFIX = 'urn:checkout:problem:';

export const commandProblemTypes = {
  unknownSku: `${PREFIX}unknown-sku`,
  orderNotFound: `${PREFIX}order-not-found`,
  versionConflict: `${PREFIX}version-conflict`,
  idempotencyKeyReused: `${PREFIX}idempotency-key-reused`,
  idempotentRequestInProgress: `${PREFIX}idempotent-request-in-progress`,
  domain: (code: DomainErrorCode) => `${PREFIX}${code.replaceAll('_', '-')}`,
} as const;

export function unknownSkus(skus: readonly string[]): HttpProblem {
  return new HttpProblem({
    status: 404,
    type: commandProblemTypes.unknownSku,
    title: 'Unknown product',
    detail: `No product is registered under SKU ${skus.join(', ')}`,
    extensions: { code: 'not_registered', skus: [...skus] },
  });
}

export function orderNotFound(orderId: string): HttpProblem {
  return new HttpProblem({
    status: 404,
    type: commandProblemTypes.orderNotFound,
    title: 'Unknown order',
    detail: `No order ${orderId} was found`,
    extensions: { code: 'order_not_found', orderId },
  });
}

function domainProblem(error: DomainError, context: ProblemContext): HttpProblem {
  switch (error.code) {
    case 'not_registered':
      return unknownSkus(context.sku === undefined ? [] : [context.sku]);
    case 'order_not_found':
    case 'not_order_customer':
      return orderNotFound(context.orderId ?? '');
    default:
      return new HttpProblem({
        status: 422,
        type: commandProblemTypes.domain(error.code),
        title: 'The command breaks a business rule',
        detail: error.message,
        extensions: { code: error.code },
      });
  }
}

/** What the request was about, so a 404 can name it. */
export interface ProblemContext {
  sku?: string;
  orderId?: string;
}

/**
 * The answer for an error a command handler threw, or undefined for an unexpected one (a bug or
 * an outage: the platform's error handler answers 500 and logs it).
 */
export function problemFor(error: unknown, context: ProblemContext = {}): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  if (isDomainError(error)) return domainProblem(error, context);
  if (error instanceof VersionConflictError) {
    return new HttpProblem({
      status: 409,
      type: commandProblemTypes.versionConflict,
      title: 'Concurrent change',
      detail:
        `${error.streamName} kept changing while this command was being decided` +
        (error.attempts > 1 ? ` (${error.attempts} attempts)` : '') +
        '; send it again',
      extensions: {
        stream: error.streamName,
        expectedRevision: String(error.expectedRevision),
        actualRevision: String(error.actualRevision),
        attempts: error.attempts,
      },
    });
  }
  return undefined;
}
