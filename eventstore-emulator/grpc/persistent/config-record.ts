import { randomUUID } from 'node:crypto';
import type { EventLog } from '../../log/event-log';
import { metadataStreamOf, SYSTEM_EVENT_TYPES } from '../../log/records';
import { formatStartFrom, type GroupSettings } from './settings';
import { eventSourceName, type GroupSource } from './source';

/**
 * The server saves its whole persistent-subscription configuration as one `$PersistentConfig`
 * event in `$persistentSubscriptionConfig` after every create, update and delete (`$maxCount`
 * 2 on the stream). The emulator keeps groups in memory but writes the same records, so `$all`
 * readers see what they would see on a real node.
 */

const CONFIG_STREAM = '$persistentSubscriptionConfig';
const CONFIG_EVENT_TYPE = '$PersistentConfig';
// The server's obsolete `StartFrom` field for `$all` groups is long.MinValue, beyond JS numbers.
const INT64_MIN_TEXT = '-9223372036854775808';

export interface ConfigEntry {
  readonly source: GroupSource;
  readonly groupName: string;
  readonly settings: GroupSettings;
}

/** Newtonsoft with `DefaultValueHandling.Ignore`: false, 0 and null fields are left out. */
function withoutDefaults(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== false && value !== 0 && value !== undefined && value !== null),
  );
}

function entryJson(entry: ConfigEntry): Record<string, unknown> {
  const { source, settings } = entry;
  const filter =
    source.kind === 'all' && source.filter
      ? { context: source.filter.context, type: source.filter.type, data: source.filter.data, isAllStream: true }
      : undefined;
  return withoutDefaults({
    stream: eventSourceName(source),
    group: entry.groupName,
    filter,
    resolveLinkTos: settings.resolveLinkTos,
    extraStatistics: settings.extraStatistics,
    messageTimeout: settings.messageTimeoutMs,
    startFrom: settings.startFrom.kind === 'revision' ? Number(settings.startFrom.revision) : INT64_MIN_TEXT,
    startPosition: formatStartFrom(settings.startFrom),
    liveBufferSize: settings.liveBufferSize,
    historyBufferSize: settings.historyBufferSize,
    maxRetryCount: settings.maxRetryCount,
    readBatchSize: settings.readBatchSize,
    checkPointAfter: settings.checkpointAfterMs,
    minCheckPointCount: settings.minCheckpointCount,
    maxCheckPointCount: settings.maxCheckpointCount,
    maxSubscriberCount: settings.maxSubscriberCount,
    namedConsumerStrategy: settings.consumerStrategy,
  });
}

export function writeConfigRecord(log: EventLog, entries: readonly ConfigEntry[], now: Date): void {
  if (log.currentRevision(metadataStreamOf(CONFIG_STREAM)) < 0n) {
    log.append(metadataStreamOf(CONFIG_STREAM), 'any', [
      {
        id: randomUUID(),
        type: SYSTEM_EVENT_TYPES.metadata,
        isJson: true,
        data: Buffer.from('{"$maxCount":2}'),
        metadata: new Uint8Array(),
      },
    ]);
  }
  const text = JSON.stringify({ version: '2', updated: now.toISOString(), entries: entries.map(entryJson) }, null, 2).replaceAll(
    `"${INT64_MIN_TEXT}"`,
    INT64_MIN_TEXT,
  );
  log.append(CONFIG_STREAM, 'any', [
    { id: randomUUID(), type: CONFIG_EVENT_TYPE, isJson: true, data: Buffer.from(text), metadata: new Uint8Array() },
  ]);
}
