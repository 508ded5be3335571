/**
 * PostgreSQL text cannot hold U+0000: a NUL in a path or query parameter that reaches a query
 * fails there, as a 500. Every route is guarded here, before validation, so no route has to
 * remember it; the answer names each such field, as validation does.
 */
import { z } from 'zod';
import { HttpProblem, problemTypes, type InvalidField } from './problem';

const NUL = '\u0000';
const MESSAGE = 'must not contain a NUL character (U+0000)';

/** A string that can be stored in (or compared with) PostgreSQL text. */
export const storableText = () => z.string().refine((text) => !text.includes(NUL), MESSAGE);

function fieldsWithNul(where: InvalidField['in'], values: unknown): InvalidField[] {
  if (values === null || typeof values !== 'object') return [];
  return Object.entries(values as Record<string, unknown>)
    .filter(([, value]) => (Array.isArray(value) ? value : [value]).some((item) => typeof item === 'string' && item.includes(NUL)))
    .map(([name]) => ({ in: where, path: `/${name}`, message: MESSAGE }));
}

export async function rejectNulInParameters(request: { params: unknown; query: unknown }): Promise<void> {
  const errors = [...fieldsWithNul('params', request.params), ...fieldsWithNul('querystring', request.query)];
  if (errors.length === 0) return;
  throw new HttpProblem({
    status: 400,
    type: problemTypes.validation,
    title: 'Your request is not valid',
    detail: errors.map((field) => `${field.in}${field.path}: ${field.message}`).join('; '),
    extensions: { errors },
  });
}
