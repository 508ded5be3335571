/**
 * Page cursors: opaque to clients (base64url of a small JSON object), so their content can
 * change without breaking a client that just passes `nextCursor` back as `?cursor=`.
 */
import { z } from 'zod';
import { HttpProblem, problemTypes } from '../../platform/http';

export function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Decodes `?cursor=` with `schema`; a cursor that is not one of ours is a 400 naming the field. */
export function decodeCursor<Schema extends z.ZodType>(text: string, schema: Schema): z.output<Schema> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const message = 'is not a cursor this API gave out (pass nextCursor back unchanged)';
  throw new HttpProblem({
    status: 400,
    type: problemTypes.validation,
    title: 'Your request is not valid',
    detail: `querystring/cursor: ${message}`,
    extensions: { errors: [{ in: 'querystring', path: '/cursor', message }] },
  });
}

export const cursorParam = z
  .string()
  .max(512)
  .optional()
  .meta({ description: 'The `nextCursor` of the previous page; absent for the first page.' });
