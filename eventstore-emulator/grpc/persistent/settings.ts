import { persistent } from '../proto';

/**
 * A subscription group's settings, as the server keeps them (spec 2.6). Everything here comes
 * back unchanged through GetInfo, so the client can deep-compare what it created.
 */

export type ConsumerStrategyName = 'RoundRobin' | 'DispatchToSingle' | 'Pinned';

/**
 * Where a group starts when it has no checkpoint. The server stores a stream start as an event
 * number (-1 = end) and a `$all` start as commit/prepare (-1/-1 = end); so do we, because the
 * info strings ("-1", "C:-1/P:-1") are made from exactly these numbers.
 */
export type StartFrom =
  | { readonly kind: 'revision'; readonly revision: bigint }
  | { readonly kind: 'position'; readonly commit: bigint; readonly prepare: bigint };

export interface GroupSettings {
  readonly startFrom: StartFrom;
  readonly resolveLinkTos: boolean;
  readonly extraStatistics: boolean;
  readonly messageTimeoutMs: number;
  readonly maxRetryCount: number;
  readonly checkpointAfterMs: number;
  readonly minCheckpointCount: number;
  readonly maxCheckpointCount: number;
  /** 0 = unbounded. */
  readonly maxSubscriberCount: number;
  readonly liveBufferSize: number;
  readonly readBatchSize: number;
  readonly historyBufferSize: number;
  /** As the client sent it; validated separately so an unknown name fails the way the server fails. */
  readonly consumerStrategy: string;
}

export function isLiveStart(startFrom: StartFrom): boolean {
  return startFrom.kind === 'revision' ? startFrom.revision === -1n : startFrom.commit === -1n && startFrom.prepare === -1n;
}

/** The server's `ToString()` of a start position: `"N"` for streams, `"C:c/P:p"` for `$all`. */
export function formatStartFrom(startFrom: StartFrom): string {
  return startFrom.kind === 'revision' ? startFrom.revision.toString() : `C:${startFrom.commit}/P:${startFrom.prepare}`;
}

// The enum's names, as the server's `NamedConsumerStrategy.ToString()` spells them.
const STRATEGY_BY_ENUM: Record<number, ConsumerStrategyName> = { 0: 'DispatchToSingle', 1: 'RoundRobin', 2: 'Pinned' };
const KNOWN_STRATEGIES: ReadonlySet<string> = new Set<ConsumerStrategyName>(['RoundRobin', 'DispatchToSingle', 'Pinned']);

export function isKnownStrategy(name: string): name is ConsumerStrategyName {
  return KNOWN_STRATEGIES.has(name);
}

type CreateSettings = InstanceType<typeof persistent.CreateReq.Settings>;
type UpdateSettings = InstanceType<typeof persistent.UpdateReq.Settings>;
type ProtoSettings = CreateSettings | UpdateSettings;

const TICKS_PER_MS = 10_000n;

/** uint64 on the wire, int64 in the server (`StreamRevision.ToInt64`): 2^64-1 becomes -1 = end. */
export function toInt64(decimal: string): bigint {
  return BigInt.asIntN(64, BigInt(decimal === '' ? '0' : decimal));
}

function messageTimeoutMs(settings: ProtoSettings): number {
  if (settings.hasMessageTimeoutMs()) return settings.getMessageTimeoutMs();
  if (settings.hasMessageTimeoutTicks()) return Number(BigInt(settings.getMessageTimeoutTicks()) / TICKS_PER_MS);
  return 0;
}

function checkpointAfterMs(settings: ProtoSettings): number {
  if (settings.hasCheckpointAfterMs()) return settings.getCheckpointAfterMs();
  if (settings.hasCheckpointAfterTicks()) return Number(BigInt(settings.getCheckpointAfterTicks()) / TICKS_PER_MS);
  return 0;
}

function strategyName(settings: ProtoSettings): string {
  // The string field wins when set; otherwise the deprecated enum (what client 6.2.1 sends).
  const named = 'getConsumerStrategy' in settings ? settings.getConsumerStrategy() : '';
  if (named !== '') return named;
  const value = settings.getNamedConsumerStrategy();
  return STRATEGY_BY_ENUM[value] ?? String(value);
}

export function settingsFromProto(settings: ProtoSettings | undefined, startFrom: StartFrom): GroupSettings {
  if (!settings) {
    return {
      startFrom,
      resolveLinkTos: false,
      extraStatistics: false,
      messageTimeoutMs: 0,
      maxRetryCount: 0,
      checkpointAfterMs: 0,
      minCheckpointCount: 0,
      maxCheckpointCount: 0,
      maxSubscriberCount: 0,
      liveBufferSize: 0,
      readBatchSize: 0,
      historyBufferSize: 0,
      consumerStrategy: 'DispatchToSingle',
    };
  }
  return {
    startFrom,
    resolveLinkTos: settings.getResolveLinks(),
    extraStatistics: settings.getExtraStatistics(),
    messageTimeoutMs: messageTimeoutMs(settings),
    maxRetryCount: settings.getMaxRetryCount(),
    checkpointAfterMs: checkpointAfterMs(settings),
    minCheckpointCount: settings.getMinCheckpointCount(),
    maxCheckpointCount: settings.getMaxCheckpointCount(),
    maxSubscriberCount: settings.getMaxSubscriberCount(),
    liveBufferSize: settings.getLiveBufferSize(),
    readBatchSize: settings.getReadBatchSize(),
    historyBufferSize: settings.getHistoryBufferSize(),
    consumerStrategy: strategyName(settings),
  };
}

/**
 * The server's checks, in its order and wording (`PersistentSubscriptionService`,
 * `ValidateStartFrom`, the `PersistentSubscription` constructor). `lastPosition` is the end of
 * the log: a `$all` start may not lie beyond it.
 */
export function strategyError(settings: GroupSettings): string | undefined {
  return isKnownStrategy(settings.consumerStrategy) ? undefined : `Consumer strategy ${settings.consumerStrategy} does not exist.`;
}

export function startFromError(startFrom: StartFrom, lastPosition: bigint): string | undefined {
  if (startFrom.kind === 'revision') {
    return startFrom.revision < -1n ? 'Invalid Start From position: event number must be greater than or equal to -1.' : undefined;
  }
  const { commit, prepare } = startFrom;
  if (prepare > commit) return 'Invalid Start From position: prepare position must be less than or equal to the commit position.';
  if (commit > lastPosition) {
    return 'Invalid Start From position: commit position must be less than or equal to the last commit position in the transaction file.';
  }
  if ((prepare <= -1n || commit <= -1n) && !(prepare === -1n && commit === -1n)) {
    return 'Invalid Start From position: prepare and commit positions must be greater than or equal to 0 or both equal to -1.';
  }
  return undefined;
}

/** .NET's `ArgumentOutOfRangeException(paramName)` message, which is what the server reports. */
export function bufferSizeError(settings: GroupSettings): string | undefined {
  if (settings.readBatchSize < settings.historyBufferSize) return undefined;
  return "Specified argument was out of the range of valid values. (Parameter 'ReadBatchSize may not be greater than or equal to BufferSize')";
}
