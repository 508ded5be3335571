/**
 * GET /operations/saga/parked and POST /operations/saga/parked/replay — the saga's parked events
 * for an operator, through this public API (the console never calls the saga's own port). Admin
 * only: they show other customers' orders and redeliver work.
 */
import { CancelledError, DeadlineExceededError, UnavailableError } from '@eventstore/db-client';
import { z } from 'zod';
import { HttpProblem, problemDetailsSchema, type HttpServer } from '../../../platform/http';
import { bearer, type CommandDeps } from '../../shared/command';
import { MAX_PARKED_LISTED, listParkedEvents, replayParkedEvents } from './parked-events';

const ParkedEvent = z
  .object({
    eventId: z.string(),
    eventType: z.string(),
    streamId: z.string(),
    revision: z.string().meta({ description: "The event's revision in its stream (decimal string: revisions are 64-bit)." }),
    parkedAt: z.string().nullable().meta({ description: 'When it was parked, ISO 8601 UTC; null if the event store did not say.' }),
  })
  .meta({ id: 'ParkedEvent' });

const SagaParkedEvents = z
  .object({
    group: z.string().meta({ description: "The saga's persistent subscription group." }),
    parkedCount: z.number().int().meta({ description: 'How many events are parked (the group may hold more than `items` lists).' }),
    items: z.array(ParkedEvent).meta({ description: `The parked events, newest first, at most ${MAX_PARKED_LISTED}.` }),
  })
  .meta({ id: 'SagaParkedEvents' });

const ParkedReplayStarted = z
  .object({
    status: z.literal('replaying'),
    parkedCount: z.number().int().meta({ description: 'How many events were parked when the replay was asked for.' }),
  })
  .meta({ id: 'ParkedReplayStarted' });

const operationProblems = { 401: problemDetailsSchema, 403: problemDetailsSchema, 503: problemDetailsSchema } as const;

// gRPC status codes: a client that never reached the server throws a bare ServiceError with one.
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

function eventStoreDidNotAnswer(error: unknown): boolean {
  if (error instanceof UnavailableError || error instanceof DeadlineExceededError || error instanceof CancelledError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED;
}

/** The event store not answering is "try again later", not a bug of ours. */
async function askingTheEventStore<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (eventStoreDidNotAnswer(error)) {
      throw new HttpProblem({ status: 503, detail: 'The event store did not answer; try again shortly', headers: { 'retry-after': '1' } });
    }
    throw error;
  }
}

export function sagaParkedRoutes(app: HttpServer, { client }: Pick<CommandDeps, 'client'>, group: string): void {
  app.get(
    '/operations/saga/parked',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        tags: ['operations'],
        summary: "The checkout saga's parked events, newest first (admin)",
        description: 'Events the saga gave up on after its retries. Replay them once the cause is fixed.',
        security: bearer,
        response: { 200: SagaParkedEvents, ...operationProblems },
      },
    },
    async () => askingTheEventStore(() => listParkedEvents(client, group)),
  );

  app.post(
    '/operations/saga/parked/replay',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        tags: ['operations'],
        summary: 'Redeliver every parked event to the checkout saga (admin)',
        description: 'Asks the event store to deliver the parked events to the group again; the saga handles them as it handles any event.',
        security: bearer,
        response: { 202: ParkedReplayStarted, ...operationProblems },
      },
    },
    async (request, reply) => {
      const parkedCount = await askingTheEventStore(() => replayParkedEvents(client, group));
      request.log.info({ group, parkedCount }, 'parked saga events replayed');
      return reply.code(202).send({ status: 'replaying' as const, parkedCount });
    },
  );
}
