/**
 * For tests: random requests against every operation an API's OpenAPI document lists, and the
 * rule each answer must keep — whatever arrives, the answer is a success or a problem+json that
 * says what was wrong, never a 5xx (a 503 only where the caller allows it). Requests mix values that pass validation (so the handlers
 * run) with mutations of them and with noise, in the path, the query, the headers and the body.
 * fast-check shrinks a failure to the smallest request that still shows it, and prints its seed.
 */
import fc from 'fast-check';

export interface Operation {
  method: string;
  /** Fastify-style path with `:name` parameters. */
  path: string;
  pathParams: string[];
  queryParams: string[];
  headerParams: string[];
  hasBody: boolean;
}

interface OpenApiParameter {
  in: string;
  name: string;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: OpenApiParameter[]; requestBody?: unknown }>>;
}

/** The operations of an OpenAPI document (`/docs/json`), each with the names of its parameters. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const named = (where: string) =>
        (operation.parameters ?? []).filter((parameter) => parameter.in === where).map((parameter) => parameter.name);
      return {
        method: method.toUpperCase(),
        path: path.replace(/\{([^}]+)\}/g, ':$1'),
        pathParams: named('path'),
        queryParams: named('query'),
        headerParams: named('header'),
        hasBody: operation.requestBody !== undefined,
      };
    }),
  );
}

export const operationKey = (operation: Pick<Operation, 'method' | 'path'>) => `${operation.method} ${operation.path}`;

export interface FuzzContext {
  operations: readonly Operation[];
  /**
   * A body each operation with a body accepts (key: `METHOD /path/:param`), or an arbitrary of
   * such bodies (e.g. a new SKU each time, so that creating succeeds more than once); mutations
   * start from it.
   */
  validBodies: Record<string, unknown>;
  /** Values that name things that exist (a SKU, an order), per parameter name: handlers get past the lookup. */
  knownValues?: Record<string, readonly string[]>;
  /** Valid query values per parameter name (e.g. a status filter). */
  validQueryValues?: Record<string, readonly string[]>;
  /** Valid values per header name (lower case), e.g. `x-min-position`. */
  validHeaderValues?: Record<string, readonly string[]>;
  /** Bearer tokens the API accepts (one per role worth trying). */
  tokens: readonly string[];
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

// Header values must be bytes a client can send; anything printable, plus the awkward ones.
const headerText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 60 }),
  fc.constantFrom('', ' ', '-1', '0', 'null', '1/2', '/', '99999999999999999999999999/1', '1/99999999999999999999999999', 'x'.repeat(5000)),
);

const awkwardText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  // Any code point, control characters and lone surrogates included.
  fc.string({ unit: 'binary', maxLength: 12 }),
  // Mostly the low code points: control characters beside plain ASCII.
  fc.string({ unit: fc.integer({ min: 0, max: 0x9f }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 12 }),
  // U+0000 inside text: the one character PostgreSQL cannot store, so the likeliest to get past
  // an API and stop something behind it.
  { weight: 2, arbitrary: fc.string({ maxLength: 6 }).map((text) => `${text}\u0000${text}`) },
  fc.constantFrom(
    '',
    ' ',
    '..',
    '%',
    '%00',
    '\u0000',
    'a\u0000b',
    '\u0007',
    '\n',
    '💥',
    '-1',
    '0',
    '1e309',
    'NaN',
    'null',
    'true',
    '[]',
    '{}',
    '9007199254740993',
    'a'.repeat(3000),
  ),
  fc.uuid().map(String),
);

const awkwardJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  fc.constantFrom(
    null,
    0,
    -1,
    1.5,
    -0,
    1e308,
    Number.MAX_SAFE_INTEGER + 2,
    2 ** 31,
    '',
    'x'.repeat(10_000),
    [],
    {},
    [[[[]]]],
    { __proto__: 1 },
    { constructor: { prototype: {} } },
  ),
  awkwardText,
);

/** Paths into a JSON value: every key and index, nested. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((item, index) => pathsOf(item, [...prefix, index]))];
  if (value !== null && typeof value === 'object')
    return [prefix, ...Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
  return [prefix];
}

type Mutation = { kind: 'replace'; value: unknown } | { kind: 'delete' } | { kind: 'add'; key: string; value: unknown };

function mutate(value: unknown, path: (string | number)[], mutation: Mutation): unknown {
  if (path.length === 0) {
    if (mutation.kind === 'replace') return mutation.value;
    if (mutation.kind === 'delete') return undefined;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { ...value, [mutation.key]: mutation.value };
    if (Array.isArray(value)) return [...value, mutation.value];
    return mutation.value;
  }
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    const changed = mutate(copy[head as number], rest, mutation);
    if (changed === undefined) copy.splice(head as number, 1);
    else copy[head as number] = changed;
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  const changed = mutate(copy[head as string], rest, mutation);
  if (changed === undefined) delete copy[head as string];
  else copy[head as string] = changed;
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), value: awkwardJson }),
  // Most fields are text: a value of the right type that is still wrong gets past the first checks.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replace' as const), value: awkwardText }) },
  fc.constant({ kind: 'delete' as const }),
  fc.record({
    kind: fc.constant('add' as const),
    key: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'sku', 'quantity')),
    value: awkwardJson,
  }),
);

function bodyFor(valid: unknown): fc.Arbitrary<string | undefined> {
  if (valid instanceof fc.Arbitrary) return (valid as fc.Arbitrary<unknown>).chain((each) => bodyFor(each));
  const noise: fc.Arbitrary<string | undefined>[] = [
    fc.constant(undefined),
    awkwardJson.map((value) => JSON.stringify(value) ?? 'null'),
    fc.constantFrom(
      '{',
      '{"a":',
      'nul',
      '[1,]',
      '{"sku":"A","sku":"B"}',
      '\u0000',
      '['.repeat(20_000) + ']'.repeat(20_000),
      '{"__proto__":{"admin":true}}',
    ),
  ];
  if (valid === undefined) return fc.oneof(...noise);
  // Mostly one or two mutations of a valid body: those get past the parser to the rules behind it.
  const mutated = fc
    .tuple(fc.constantFrom(...pathsOf(valid)), mutation, fc.option(fc.tuple(fc.nat(), mutation)))
    .map(([path, first, second]) => {
      const once = mutate(valid, path, first);
      if (!second) return JSON.stringify(once) ?? 'null';
      const paths = pathsOf(once);
      return JSON.stringify(mutate(once, paths[second[0] % paths.length]!, second[1])) ?? 'null';
    });
  return fc.oneof({ weight: 6, arbitrary: mutated }, { weight: 1, arbitrary: fc.constant(JSON.stringify(valid)) }, ...noise);
}

function valueFor(known: readonly string[] | undefined): fc.Arbitrary<string> {
  return known && known.length > 0 ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, awkwardText) : awkwardText;
}

// A lone surrogate cannot be percent-encoded as UTF-8; a client sends U+FFFD in its place.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const encodeText = (text: string) => encodeURIComponent(text.replace(LONE_SURROGATE, '\uFFFD'));

function requestFor(operation: Operation, context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const pathValues = fc.tuple(...operation.pathParams.map((name) => fc.tuple(valueFor(context.knownValues?.[name]), fc.boolean())));
  const queryValue = (name: string) => valueFor(context.validQueryValues?.[name] ?? context.knownValues?.[name]);
  // Declared parameters mostly, undeclared ones sometimes; a name may repeat (?a=1&a=2).
  const queryEntry = fc.oneof(
    ...operation.queryParams.map((name) => ({ weight: 4, arbitrary: fc.tuple(fc.constant(name), queryValue(name)) })),
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), awkwardText) },
  ) as fc.Arbitrary<[string, string]>;
  const queryEntries: fc.Arbitrary<[string, string][]> = fc.oneof(
    fc.constant<[string, string][]>([]),
    fc.array(queryEntry, { minLength: 1, maxLength: 3 }),
  );
  const authorization = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...context.tokens).map((token) => `Bearer ${token}`) },
    fc.constant(undefined),
    fc.constantFrom(...context.tokens).map((token) => `Bearer ${token.slice(0, -2)}${token.endsWith('A') ? 'B' : 'A'}A`),
    headerText,
  );
  const contentType = fc.oneof(
    { weight: 4, arbitrary: fc.constant('application/json') },
    fc.constantFrom(
      undefined,
      'text/plain',
      'application/json; charset=latin1',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/problem+json',
      '*/*',
    ),
  );
  const headerNames = [...new Set([...operation.headerParams, 'idempotency-key', 'x-min-position', 'accept', 'x-correlation-id'])];
  const headerValue = (name: string) => {
    const valid = context.validHeaderValues?.[name];
    return valid && valid.length > 0 ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...valid) }, headerText) : headerText;
  };
  const extraHeaders = fc.oneof(
    fc.constant({}),
    fc
      .uniqueArray(fc.constantFrom(...headerNames), { minLength: 1, maxLength: 2 })
      .chain((names) =>
        fc
          .tuple(...names.map((name) => headerValue(name).map((value) => [name, value] as const)))
          .map((pairs) => Object.fromEntries(pairs)),
      ),
  );
  const valid = context.validBodies[operationKey(operation)];

  return fc
    .record({
      pathValues,
      queryEntries,
      authorization,
      contentType,
      extraHeaders,
      body: operation.hasBody ? bodyFor(valid) : fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, bodyFor(undefined)),
    })
    .map(({ pathValues: values, queryEntries: entries, authorization: auth, contentType: type, extraHeaders: extra, body }) => {
      let index = 0;
      const path = operation.path.replace(/:([A-Za-z]+)/g, () => {
        const [value, encode] = values[index++]!;
        // Mostly encoded as a client would; sometimes raw, as a careless one would.
        return encode ? encodeText(value) : value.replaceAll('/', '%2F').replaceAll('?', '%3F').replaceAll('#', '%23');
      });
      const query = entries.map(([name, value]) => `${encodeText(name)}=${encodeText(value)}`).join('&');
      const headers: Record<string, string> = { ...extra };
      if (auth !== undefined) headers.authorization = auth;
      const method = operation.method;
      const sendsBody = body !== undefined && method !== 'GET' && method !== 'HEAD';
      if (sendsBody && type !== undefined) headers['content-type'] = type;
      return { method, path: query ? `${path}?${query}` : path, headers, body: sendsBody ? body : undefined };
    });
}

/** Random requests, spread over the operations. */
export function fuzzRequests(context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(...context.operations.map((operation) => requestFor(operation, context)));
}

export interface FuzzAnswer {
  status: number;
  contentType: string;
  text: string;
}

export async function sendFuzzRequest(baseUrl: string, request: FuzzRequest): Promise<FuzzAnswer> {
  const response = await fetch(`${baseUrl}${request.path}`, { method: request.method, headers: request.headers, body: request.body });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

/**
 * What is wrong with an answer, by the rule every answer keeps; empty when nothing is.
 * `unavailableAllowed`: a 503 problem is a designed answer (the query API's read-your-writes
 * wait running out), not a fault.
 */
export function faultsOf(answer: FuzzAnswer, { unavailableAllowed = false } = {}): string[] {
  if (answer.status < 400) return [];
  const faults: string[] = [];
  if (answer.status >= 500 && !(unavailableAllowed && answer.status === 503)) faults.push(`answered ${answer.status}`);
  if (!answer.contentType.startsWith('application/problem+json'))
    faults.push(`a ${answer.status} as ${answer.contentType || 'no content type'}, not application/problem+json`);
  let problem: Record<string, unknown> | undefined;
  try {
    problem = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    faults.push(`a ${answer.status} whose body is not JSON: ${answer.text.slice(0, 200)}`);
  }
  if (problem) {
    if (problem.status !== answer.status) faults.push(`problem.status ${String(problem.status)} on a ${answer.status}`);
    if (typeof problem.title !== 'string' || problem.title === '') faults.push('a problem without a title');
    if (answer.status === 400 && Array.isArray(problem.errors)) {
      const unnamed = (problem.errors as Record<string, unknown>[]).filter(
        (error) => typeof error.in !== 'string' || typeof error.path !== 'string',
      );
      if (problem.errors.length === 0 || unnamed.length > 0) faults.push('a validation problem that does not name the field');
    }
  }
  return faults;
}
