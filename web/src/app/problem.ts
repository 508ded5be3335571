/**
 * Problem details (RFC 9457) as both APIs answer them, and where a form shows them: each
 * `errors[]` entry beside the field its JSON Pointer names, everything else in the form's alert.
 */
export interface FieldError {
  in: string;
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  [key: string]: unknown;
}

export function isProblem(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) return false;
  const { title, status } = body as Record<string, unknown>;
  return typeof title === 'string' && typeof status === 'number';
}

/** Any error body (problem+json, a proxy's HTML page, nothing) as a problem to show. */
export function toProblem(status: number, body: unknown): Problem {
  if (isProblem(body)) return body;
  return { type: 'about:blank', status, title: status === 0 ? 'The shop cannot be reached' : `The shop answered ${status}` };
}

/** The field a pointer belongs to, or undefined (then the message goes to the alert). */
export type FieldOf = (pointer: string, location: string) => string | undefined;

export interface PlacedProblem {
  /** field name → messages, in the order the API listed them */
  fields: Record<string, string[]>;
  /** what names no field of the form: shown in the alert region */
  general: string[];
}

function segments(pointer: string): string[] {
  return pointer === '' || pointer === '/' ? [] : pointer.replace(/^\//, '').split('/');
}

/**
 * Fields by JSON Pointer, matched segment by segment, longest first: with `{ '/price': 'price' }`
 * an error at `/price/amount` lands on `price`; `/prices` does not. `'/lines/*\/quantity'`
 * matches any line (`*` is one segment), and the field name may use `$1` for it:
 * `{ '/lines/*\/quantity': 'quantity-$1' }` → `/lines/2/quantity` is `quantity-2`.
 */
export function fieldsByPointer(map: Record<string, string>): FieldOf {
  const patterns = Object.entries(map)
    .map(([pointer, field]) => ({ parts: segments(pointer), field }))
    .sort((a, b) => b.parts.length - a.parts.length);
  return (pointer) => {
    const parts = segments(pointer);
    for (const pattern of patterns) {
      if (pattern.parts.length > parts.length) continue;
      const wild: string[] = [];
      const matches = pattern.parts.every((part, i) => {
        if (part === '*') {
          wild.push(parts[i]!);
          return true;
        }
        return part === parts[i];
      });
      if (matches) return pattern.field.replace(/\$(\d)/g, (_, n: string) => wild[Number(n) - 1] ?? '');
    }
    return undefined;
  };
}

/** The problem's headline for the alert: its title, with the detail when it says more. */
export function problemSummary(problem: Problem): string {
  return problem.detail && problem.detail !== problem.title ? `${problem.title}: ${problem.detail}` : problem.title;
}

export function placeProblem(problem: Problem, fieldOf: FieldOf): PlacedProblem {
  const fields: Record<string, string[]> = {};
  const general: string[] = [];
  for (const error of problem.errors ?? []) {
    const field = fieldOf(error.path, error.in);
    if (field) (fields[field] ??= []).push(error.message);
    else general.push(`${error.path === '' || error.path === '/' ? error.in : `${error.in} ${error.path}`}: ${error.message}`);
  }
  // A problem with no field of this form still has to say something.
  if (Object.keys(fields).length === 0 || general.length > 0 || !problem.errors?.length) general.unshift(problemSummary(problem));
  return { fields, general };
}
