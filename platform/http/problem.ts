/**
 * Problem details (RFC 9457): the one shape every error response of every service has, so a
 * client handles errors with one piece of code. Routes throw `HttpProblem`; the error handler
 * (error-handler.ts) renders it, and renders everything else too.
 */
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** `type` URIs of this project's own problems; `about:blank` means "just the HTTP status". */
export const problemTypes = {
  validation: 'urn:checkout:problem:validation',
  unauthorized: 'urn:checkout:problem:unauthorized',
  forbidden: 'urn:checkout:problem:forbidden',
  notReady: 'urn:checkout:problem:not-ready',
} as const;

export interface InvalidField {
  /** Which part of the request: body, params, querystring or headers. */
  in: string;
  /** JSON Pointer into that part, e.g. `/lines/0/quantity`; `/` for the part as a whole. */
  path: string;
  message: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Extension members (RFC 9457 §3.2), e.g. `errors` for a 400, `correlationId`. */
  [extension: string]: unknown;
}

/** For route `response` schemas, so OpenAPI shows error answers too. */
export const problemDetailsSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    correlationId: z.string().optional(),
    errors: z.array(z.object({ in: z.string(), path: z.string(), message: z.string() })).optional(),
  })
  .loose()
  .meta({ id: 'ProblemDetails', description: 'RFC 9457 problem details' });

export interface HttpProblemInit {
  status: number;
  /** Defaults to `about:blank`, whose title is the status phrase (RFC 9457 §4.2.1). */
  type?: string;
  title?: string;
  detail?: string;
  /** Extension members merged into the body. */
  extensions?: Record<string, unknown>;
  /** Response headers, e.g. `WWW-Authenticate` on a 401. */
  headers?: Record<string, string>;
}

/** Throw from a route or hook to answer with this problem; its detail is shown to the client. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(init: HttpProblemInit) {
    const title = init.title ?? statusTitle(init.status);
    super(init.detail ?? title);
    this.status = init.status;
    this.type = init.type ?? 'about:blank';
    this.title = title;
    this.detail = init.detail;
    this.extensions = init.extensions ?? {};
    this.headers = init.headers ?? {};
  }

  toProblem(instance: string | undefined): ProblemDetails {
    return {
      ...this.extensions,
      type: this.type,
      title: this.title,
      status: this.status,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...(instance === undefined ? {} : { instance }),
    };
  }
}

export function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

export const badRequest = (detail: string, extensions?: Record<string, unknown>) => new HttpProblem({ status: 400, detail, extensions });
export const notFound = (detail: string) => new HttpProblem({ status: 404, detail });
export const conflict = (detail: string, extensions?: Record<string, unknown>, type?: string) =>
  new HttpProblem({ status: 409, detail, extensions, type });
export const unprocessable = (detail: string, extensions?: Record<string, unknown>, type?: string) =>
  new HttpProblem({ status: 422, detail, extensions, type });
