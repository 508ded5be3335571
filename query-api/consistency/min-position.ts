/**
 * The "read your writes" position a request may carry: the log position a command answered
 * (`position` in its response), as `X-Min-Position` or `?minPosition=`. Accepted spellings:
 * `<commit>`, `<commit>/<prepare>`, or the command's JSON `{"commit":"…","prepare":"…"}`.
 */
import { z } from 'zod';
import { isAtOrAfter, positionFromJson, type PositionJson } from '../../platform/eventstore/position';
import type { Position } from '../../platform/eventstore/types';

export type { Position } from '../../platform/eventstore/types';

const DECIMAL = /^\d{1,20}$/;

/** The position `text` names, or undefined when it names none. */
export function parseMinPosition(text: string): Position | undefined {
  const value = text.trim();
  if (DECIMAL.test(value)) {
    // A commit position alone: every record of that commit (EventStoreDB writes prepare ≤ commit).
    return { commit: BigInt(value), prepare: BigInt(value) };
  }
  const pair = /^(\d{1,20})\/(\d{1,20})$/.exec(value);
  if (pair) return { commit: BigInt(pair[1]!), prepare: BigInt(pair[2]!) };
  if (value.startsWith('{')) {
    try {
      const json = JSON.parse(value) as Partial<PositionJson>;
      if (typeof json.commit !== 'string' || typeof json.prepare !== 'string') return undefined;
      return positionFromJson({ commit: json.commit, prepare: json.prepare });
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const FORMAT_MESSAGE = 'must be a log position: "<commit>", "<commit>/<prepare>" or {"commit":"…","prepare":"…"} as a command answered it';

export const minPositionText = z
  .string()
  .refine((value) => parseMinPosition(value) !== undefined, FORMAT_MESSAGE)
  .meta({
    description:
      'Read your writes: the log position a command answered. The API waits (bounded) until the read models behind this route have applied it, else answers 503 with Retry-After.',
    examples: ['4711', '4711/4711'],
  });

/** For a route's `querystring`: spread into its object. */
export const minPositionQuery = { minPosition: minPositionText.optional() };

/** For a route's `headers`. Loose: Authorization and the rest must survive validation. */
export const minPositionHeaders = z.looseObject({ 'x-min-position': minPositionText.optional() });

/** The later of the positions a request names (header and query may both be given). */
export function requestedPosition(header: string | undefined, query: string | undefined): Position | undefined {
  const positions = [header, query].flatMap((text) => {
    const position = text === undefined ? undefined : parseMinPosition(text);
    return position ? [position] : [];
  });
  return positions.reduce<Position | undefined>(
    (latest, position) => (latest === undefined || isAtOrAfter(position, latest) ? position : latest),
    undefined,
  );
}

export function positionText(position: Position): string {
  return position.commit === position.prepare ? position.commit.toString() : `${position.commit}/${position.prepare}`;
}
