import type { sendUnaryData, ServerUnaryCall, ServiceError, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EmulatorContext } from '../context';
import { errors } from '../errors';
import { persistent, shared } from '../proto';
import { subscriptionInfo } from './info';
import { readHandler } from './read-call';
import { PersistentSubscriptionRegistry } from './registry';
import { eventSourceOf, parseCreate, parseUpdate } from './requests';
import { toInt64 } from './settings';
import { streamNameOf } from './wire';

/**
 * `event_store.client.persistent_subscriptions.PersistentSubscriptions` (spec 2.6–2.9,
 * semantics 3.9), to streams and to `$all`.
 */

type CreateRequest = InstanceType<typeof persistent.CreateReq>;
type UpdateRequest = InstanceType<typeof persistent.UpdateReq>;
type DeleteRequest = InstanceType<typeof persistent.DeleteReq>;
type GetInfoRequest = InstanceType<typeof persistent.GetInfoReq>;
type ListRequest = InstanceType<typeof persistent.ListReq>;
type ReplayParkedRequest = InstanceType<typeof persistent.ReplayParkedReq>;

function unary<Req, Res>(handle: (request: Req) => Res | ServiceError) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const result = handle(call.request);
    if (result instanceof Error) callback(result as ServiceError);
    else callback(null, result);
  };
}

export function persistentSubscriptionsService(context: EmulatorContext): UntypedServiceImplementation {
  const registry = new PersistentSubscriptionRegistry(context.log);
  const stopRegistry = registry.start(context.persistentTickMs);
  context.onStop.add(() => {
    stopRegistry();
    registry.dispose();
  });

  return {
    create: unary((request: CreateRequest) => {
      const { source, groupName, settings } = parseCreate(request);
      return registry.create(source, groupName, settings) ?? new persistent.CreateResp();
    }),

    update: unary((request: UpdateRequest) => {
      const { eventSource, groupName, settings } = parseUpdate(request);
      return registry.update(eventSource, groupName, settings) ?? new persistent.UpdateResp();
    }),

    delete: unary((request: DeleteRequest) => {
      const options = request.getOptions();
      return registry.delete(eventSourceOf(options), options?.getGroupName() ?? '') ?? new persistent.DeleteResp();
    }),

    getInfo: unary((request: GetInfoRequest) => {
      const options = request.getOptions();
      const eventSource = eventSourceOf(options);
      const groupName = options?.getGroupName() ?? '';
      const group = registry.find(eventSource, groupName);
      if (!group) return errors.persistentSubscriptionDoesNotExist(eventSource, groupName);
      return new persistent.GetInfoResp().setSubscriptionInfo(subscriptionInfo(group));
    }),

    list: unary((request: ListRequest) => {
      const forStream = request.getOptions()?.getListForStream();
      const eventSource = forStream ? (forStream.hasAll() ? '$all' : streamNameOf(forStream.getStream())) : undefined;
      const groups = registry.list(eventSource);
      // Listing a source without groups names no group: hence the two spaces in the message.
      if (!groups) return errors.persistentSubscriptionDoesNotExist(eventSource ?? '', '');
      return new persistent.ListResp().setSubscriptionsList(groups.map(subscriptionInfo));
    }),

    replayParked: unary((request: ReplayParkedRequest) => {
      const options = request.getOptions();
      const eventSource = eventSourceOf(options);
      const groupName = options?.getGroupName() ?? '';
      const stopAt = options?.hasStopAt() ? toInt64(options.getStopAt()) : undefined;
      if (stopAt !== undefined && stopAt < 0n) {
        return errors.persistentSubscriptionFailed(eventSource, groupName, 'Cannot stop replaying parked message at a negative version.');
      }
      const group = registry.find(eventSource, groupName);
      if (!group) return errors.persistentSubscriptionDoesNotExist(eventSource, groupName);
      group.replayParked(stopAt);
      return new persistent.ReplayParkedResp();
    }),

    restartSubsystem: unary(() => {
      registry.restart();
      return new shared.Empty();
    }),

    read: readHandler(registry, Date.now),
  };
}
