/**
 * Turns every error a route can end with into problem+json. Client mistakes (4xx) say what was
 * wrong; anything else is a 500 whose body says nothing about our internals — the details go to
 * the log under the request's correlation id, which the body quotes so support can find them.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem, PROBLEM_CONTENT_TYPE, problemTypes, statusTitle, type InvalidField, type ProblemDetails } from './problem';

export function sendProblem(reply: FastifyReply, problem: ProblemDetails, headers: Record<string, string> = {}): FastifyReply {
  // Sent as a string so a route's response schema never tries to serialize the error body.
  return reply.code(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** `instance` is the path of the request the problem happened on (query left out: it may hold tokens). */
export function instanceOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? request.url;
}

function withCorrelation(problem: ProblemDetails, request: FastifyRequest): ProblemDetails {
  return { ...problem, correlationId: request.id };
}

type ValidationError = FastifyError & { validation: NonNullable<FastifyError['validation']> };

function isValidationError(error: unknown): error is ValidationError {
  return typeof error === 'object' && error !== null && Array.isArray((error as FastifyError).validation);
}

function invalidFields(error: ValidationError): InvalidField[] {
  const where = error.validationContext ?? 'body';
  return error.validation.map((issue) => ({
    in: where,
    path: issue.instancePath === '' ? '/' : issue.instancePath,
    message: issue.message ?? 'is invalid',
  }));
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const instance = instanceOf(request);

  if (error instanceof HttpProblem) {
    // A 503 says "not yet" (a read-your-writes wait ran out, a dependency is down) and asks the
    // client to retry: a warning to count, not an error to investigate.
    if (error.status === 503) request.log.warn({ err: error }, 'request answered 503');
    else if (error.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, withCorrelation(error.toProblem(instance), request), error.headers);
  }

  if (isValidationError(error)) {
    const errors = invalidFields(error);
    const problem: ProblemDetails = {
      type: problemTypes.validation,
      title: 'Your request is not valid',
      status: 400,
      detail: errors.map((field) => `${field.in}${field.path === '/' ? '' : field.path}: ${field.message}`).join('; '),
      instance,
      errors,
    };
    return sendProblem(reply, withCorrelation(problem, request));
  }

  // Fastify's own client errors (malformed JSON, unsupported media type, body too large...)
  // carry a 4xx status and a message written for the caller.
  const status = (error as Partial<FastifyError>)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = (error as Error).message;
    return sendProblem(
      reply,
      withCorrelation({ type: 'about:blank', title: statusTitle(status), status, detail: message, instance }, request),
    );
  }

  request.log.error({ err: error }, 'unhandled error');
  return sendProblem(
    reply,
    withCorrelation(
      {
        type: 'about:blank',
        title: statusTitle(500),
        status: 500,
        detail: 'An unexpected error occurred. Quote the correlation id when reporting it.',
        instance,
      },
      request,
    ),
  );
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(
    reply,
    withCorrelation(
      {
        type: 'about:blank',
        title: statusTitle(404),
        status: 404,
        detail: `No route matches ${request.method} ${instanceOf(request)}`,
        instance: instanceOf(request),
      },
      request,
    ),
  );
}
