/**
 * The route guard behind read-your-writes: `preHandler: [auth, readYourWrites(['orders'])]`.
 * A request naming a log position (X-Min-Position or ?minPosition=) is held until the read models
 * the route reads have applied it; past the deadline it answers 503 with Retry-After, saying how
 * far each read model got, so the client can retry rather than read a stale answer unknowingly.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../../platform/http';
import { positionToJson } from '../../platform/eventstore/position';
import type { CheckpointWatcher } from './checkpoint-watcher';
import { positionText, requestedPosition } from './min-position';

export const readModelBehindProblem = 'urn:checkout:problem:read-model-behind';

/** Read-model names as the projectors name their checkpoints. */
export type ReadModel = 'orders' | 'products' | 'checkout_progress' | 'sales' | 'notifications';

export interface ReadYourWritesOptions {
  watcher: CheckpointWatcher;
  timeoutMs: number;
  /** Seconds a client is told to wait before retrying a 503. */
  retryAfterSeconds?: number;
}

export type ReadYourWritesGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export function createReadYourWrites({ watcher, timeoutMs, retryAfterSeconds = 1 }: ReadYourWritesOptions) {
  return function readYourWrites(readModels: readonly ReadModel[]): ReadYourWritesGuard {
    return async function waitForReadModels(request: FastifyRequest) {
      const header = request.headers['x-min-position'];
      const query = (request.query as { minPosition?: string } | undefined)?.minPosition;
      const target = requestedPosition(typeof header === 'string' ? header : undefined, query);
      if (!target) return;
      const started = performance.now();
      const outcome = await watcher.waitFor(readModels, target, timeoutMs);
      if (outcome.reached) {
        request.log.debug(
          { minPosition: positionText(target), waitedMs: Math.round(performance.now() - started) },
          'read models caught up',
        );
        return;
      }
      const failed = outcome.progress.filter(({ failed: stopped }) => stopped).map(({ name }) => name);
      throw new HttpProblem({
        status: 503,
        type: readModelBehindProblem,
        title: 'Read model behind',
        detail:
          `The read models behind this route (${readModels.join(', ')}) have not applied log position ${positionText(target)} within ${timeoutMs} ms` +
          (failed.length > 0 ? `; ${failed.join(', ')} stopped and needs an operator` : '; retry shortly'),
        extensions: {
          minPosition: positionToJson(target),
          readModels: outcome.progress.map(({ name, position, failed: stopped }) => ({
            name,
            position: position ? positionToJson(position) : null,
            stopped,
          })),
        },
        headers: { 'retry-after': String(retryAfterSeconds) },
      });
    };
  };
}
