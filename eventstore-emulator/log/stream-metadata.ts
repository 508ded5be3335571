/** Stream metadata (`$$stream`'s last `$metadata` event) and the limits it puts on stream reads. */

export interface StreamLimits {
  /** `$tb`: revisions below it are hidden. */
  truncateBefore?: bigint;
  /** `$maxCount`: only the newest n revisions are visible. */
  maxCount?: number;
  /** `$maxAge` in seconds. */
  maxAgeSeconds?: number;
  /** `$tb` = Int64.MaxValue: the stream was soft-deleted. */
  softDeleted: boolean;
  /** The parsed JSON, so a recreate can keep the other keys. */
  raw: Record<string, unknown>;
}

export const NO_LIMITS: StreamLimits = { softDeleted: false, raw: {} };

// JSON.parse rounds 9223372036854775807 up to 2^63; anything that large is the soft-delete marker.
const SOFT_DELETE_THRESHOLD = 2 ** 62;

export function parseStreamMetadata(data: Uint8Array): StreamLimits {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return NO_LIMITS;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return NO_LIMITS;
  const object = raw as Record<string, unknown>;
  const limits: StreamLimits = { softDeleted: false, raw: object };
  const tb = object.$tb;
  if (typeof tb === 'number' && Number.isFinite(tb) && tb >= 0) {
    if (tb >= SOFT_DELETE_THRESHOLD) limits.softDeleted = true;
    else limits.truncateBefore = BigInt(Math.trunc(tb));
  }
  const maxCount = object.$maxCount;
  if (typeof maxCount === 'number' && Number.isInteger(maxCount) && maxCount > 0) limits.maxCount = maxCount;
  const maxAge = object.$maxAge;
  if (typeof maxAge === 'number' && Number.isFinite(maxAge) && maxAge > 0) limits.maxAgeSeconds = maxAge;
  return limits;
}

/** The exact JSON the server writes for a soft delete: every other key is dropped. */
export function softDeleteMetadata(): Uint8Array {
  return Buffer.from('{"$tb":9223372036854775807}');
}

/** After a soft-deleted stream is written again, only revisions from `firstVisible` on are shown. */
export function recreatedMetadata(previous: StreamLimits, firstVisible: bigint): Uint8Array {
  const { $tb: _dropped, ...rest } = previous.raw;
  return Buffer.from(JSON.stringify({ ...rest, $tb: Number(firstVisible) }));
}
