import { persistent } from '../proto';
import type { SubscriptionGroup } from './group';
import { formatStartFrom } from './settings';
import { eventSourceName } from './source';

export type SubscriptionInfoMessage = InstanceType<typeof persistent.SubscriptionInfo>;

/**
 * A group as GetInfo and List report it (spec 2.9). Settings go back exactly as created; the
 * client `BigInt()`s every int64 field, so none is ever empty.
 */
export function subscriptionInfo(group: SubscriptionGroup): SubscriptionInfoMessage {
  const { settings } = group;
  const stats = group.statistics();
  const info = new persistent.SubscriptionInfo();
  info.setEventSource(eventSourceName(group.source));
  info.setGroupName(group.groupName);
  info.setStatus(stats.status);
  info.setStartFrom(formatStartFrom(settings.startFrom));
  info.setResolveLinkTos(settings.resolveLinkTos);
  info.setMessageTimeoutMilliseconds(settings.messageTimeoutMs);
  info.setExtraStatistics(settings.extraStatistics);
  info.setMaxRetryCount(settings.maxRetryCount);
  info.setLiveBufferSize(settings.liveBufferSize);
  info.setBufferSize(settings.historyBufferSize);
  info.setReadBatchSize(settings.readBatchSize);
  info.setCheckPointAfterMilliseconds(settings.checkpointAfterMs);
  info.setMinCheckPointCount(settings.minCheckpointCount);
  info.setMaxCheckPointCount(settings.maxCheckpointCount);
  info.setMaxSubscriberCount(settings.maxSubscriberCount);
  info.setNamedConsumerStrategy(settings.consumerStrategy);

  info.setLastCheckpointedEventPosition(stats.lastCheckpointedPosition);
  info.setLastKnownEventPosition(stats.lastKnownEventPosition);
  info.setAveragePerSecond(stats.averagePerSecond);
  info.setTotalItems(String(stats.totalItems));
  info.setCountSinceLastMeasurement(String(stats.countSinceLastMeasurement));
  info.setReadBufferCount(stats.readBufferCount);
  // The emulator reads the log directly, so nothing ever waits in a live buffer.
  info.setLiveBufferCount('0');
  info.setRetryBufferCount(stats.retryBufferCount);
  info.setTotalInFlightMessages(stats.totalInFlightMessages);
  info.setOutstandingMessagesCount(stats.outstandingMessagesCount);
  info.setParkedMessageCount(stats.parkedMessageCount.toString());

  for (const { connection, averageItemsPerSecond, countSinceLastMeasurement } of stats.connections) {
    const entry = new persistent.SubscriptionInfo.ConnectionInfo();
    entry.setFrom(connection.identity.from);
    entry.setUsername(connection.identity.username);
    entry.setConnectionName(connection.identity.connectionName);
    entry.setAverageItemsPerSecond(averageItemsPerSecond);
    entry.setTotalItems(String(connection.totalItems));
    entry.setCountSinceLastMeasurement(String(countSinceLastMeasurement));
    entry.setAvailableSlots(connection.availableSlots);
    entry.setInFlightMessages(connection.inFlight.size);
    for (const { key, value } of connection.measurements()) {
      const measurement = new persistent.SubscriptionInfo.Measurement();
      measurement.setKey(key);
      measurement.setValue(String(value));
      entry.addObservedMeasurements(measurement);
    }
    info.addConnections(entry);
  }
  return info;
}
