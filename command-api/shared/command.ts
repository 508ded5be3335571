/**
 * What every use case shares: its dependencies, running a command on a stream (the platform's
 * command handler), and turning the outcome (or a refusal) into the HTTP answer, under an
 * Idempotency-Key when one is given.
 */
import type { EventStoreDBClient } from '@eventstore/db-client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { principalOf } from '../../platform/auth';
import type { InventoryCommand, InventoryEvent, InventoryState, OrderCommand, OrderEvent, OrderState } from '../../domain';
import {
  positionToJson,
  type CausationMetadata,
  type CommandHandler,
  type DomainEvent,
  type Position,
  type StreamRevision,
} from '../../platform/eventstore';
import { instanceOf, problemDetailsSchema, sendProblem, type ProblemDetails } from '../../platform/http';
import type { Logger } from '../../platform/logger';
import { IDEMPOTENCY_KEY_PATTERN, type CommandAnswer, type Execution, type IdempotencyStore } from './idempotency';
import { problemFor, type ProblemContext } from './problems';

export interface CommandDeps {
  client: EventStoreDBClient;
  logger: Logger;
  clock: () => Date;
  newId: () => string;
  idempotency: IdempotencyStore;
  /**
   * Commands on products' inventory streams and on orders. One handler per aggregate, shared by
   * its use cases, so this process runs the commands on one stream one at a time whichever
   * route they come from.
   */
  inventory: CommandHandler<InventoryCommand, InventoryEvent, InventoryState>;
  orders: CommandHandler<OrderCommand, OrderEvent, OrderState>;
}

// ---- schemas every command route shares --------------------------------------------------

/** Loose: the other headers (Authorization...) must survive validation. */
export const commandHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN, 'must be 1 to 255 visible ASCII characters')
    .optional()
    .meta({ description: 'Repeat a request with the same key (and body) to get the same answer without applying it twice.' }),
});

export const LogPosition = z
  .object({ commit: z.string(), prepare: z.string() })
  .meta({ id: 'LogPosition', description: 'Where the write sits in the event log (decimal strings; they exceed 2^53).' });

const accepted = {
  /** Decimal string: revisions are 64-bit. */
  revision: z.string().meta({ description: "The stream's revision after the command: what a writer would expect next." }),
  position: LogPosition.nullable().meta({ description: 'Where the events were written; null when the command had nothing (left) to do.' }),
};

export const ProductCommandAccepted = z.object({ sku: z.string(), ...accepted }).meta({ id: 'ProductCommandAccepted' });
export const OrderCommandAccepted = z.object({ orderId: z.string(), ...accepted }).meta({ id: 'OrderCommandAccepted' });

export const bearer = [{ bearer: [] }];

/**
 * What a command on an existing aggregate may answer besides success: invalid input, no or a bad
 * token, the wrong role, an unknown SKU or order, a version conflict, a business rule.
 */
export const commandProblemResponses = {
  400: problemDetailsSchema,
  401: problemDetailsSchema,
  403: problemDetailsSchema,
  404: problemDetailsSchema,
  409: problemDetailsSchema,
  422: problemDetailsSchema,
} as const;

// ---- running a command -------------------------------------------------------------------

export function commandMetadata(request: FastifyRequest): CausationMetadata {
  // An HTTP command has no causing event: the request is its cause, and its correlation id names it.
  return { correlationId: request.id, causationId: request.id, actor: principalOf(request).sub };
}

export interface Written {
  revision: StreamRevision;
  position: Position | undefined;
}

export function writtenJson({ revision, position }: Written): { revision: string; position: { commit: string; prepare: string } | null } {
  return { revision: String(revision), position: position ? positionToJson(position) : null };
}

/**
 * Load, decide, append, with the event ids derived from the Idempotency-Key when there is one. An
 * earlier attempt under the same key may have written already (it crashed, failed after the
 * append, or lost its claim to this one while alive): the handler finds its events whenever it
 * loads the stream, and they are the answer.
 */
export async function runCommand<Command, Event extends DomainEvent, State>(
  handler: CommandHandler<Command, Event, State>,
  stream: string,
  command: Command,
  { metadata, execution }: { metadata: CausationMetadata; execution: Execution | undefined },
): Promise<Written> {
  const { revision, position } = await handler.handle(stream, command, {
    metadata,
    ...(execution ? { idempotencyKey: execution.eventIdKey } : {}),
  });
  return { revision, position };
}

// ---- answering ---------------------------------------------------------------------------

export interface RespondOptions {
  /** What the request is about, for naming it in a 404. */
  context: ProblemContext;
  /** Runs the use case; `execution` is set when the request carries an Idempotency-Key. */
  execute: (execution: Execution | undefined) => Promise<CommandAnswer>;
}

export async function respond(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: CommandDeps,
  { context, execute }: RespondOptions,
): Promise<FastifyReply> {
  const key = (request.headers as { 'idempotency-key'?: string })['idempotency-key'];
  if (key === undefined) {
    try {
      return send(reply, await execute(undefined));
    } catch (error) {
      throw problemFor(error, context) ?? error;
    }
  }
  const principal = principalOf(request).sub;
  const { answer, replayed } = await deps.idempotency.run(
    // Only a body the route reads is part of the request: a route without one (cancelling) ignores it.
    {
      principal,
      key,
      method: request.method,
      route: request.routeOptions.url ?? request.url,
      params: request.params,
      body: request.routeOptions.schema?.body ? request.body : undefined,
    },
    { correlationId: request.id, causationId: request.id },
    execute,
    (error) => {
      const problem = problemFor(error, context);
      if (!problem) throw error;
      return { status: problem.status, body: { ...problem.toProblem(instanceOf(request)), correlationId: request.id } };
    },
  );
  if (replayed) reply.header('idempotent-replayed', 'true');
  return send(reply, answer);
}

function send(reply: FastifyReply, answer: CommandAnswer): FastifyReply {
  if (answer.status >= 400) return sendProblem(reply, answer.body as ProblemDetails);
  return reply.code(answer.status).send(answer.body);
}
