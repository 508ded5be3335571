import type { Metadata, ServerDuplexStream } from '@grpc/grpc-js';
import { errors } from '../errors';
import { persistent } from '../proto';
import { GroupConnection, type ConnectionIdentity } from './connection';
import type { NackAction, SubscriptionGroup } from './group';
import type { PersistentSubscriptionRegistry } from './registry';
import { eventSourceOf } from './requests';
import { confirmationResponse, eventResponse, uuidText, type ReadRespMessage } from './wire';

/**
 * `PersistentSubscriptions.Read` (spec 2.8): the first request names the group; the call then
 * carries acks and nacks in, and the confirmation and events out, until the client cancels or
 * the group drops it.
 */

type ReadRequest = InstanceType<typeof persistent.ReadReq>;
type ReadCall = ServerDuplexStream<ReadRequest, ReadRespMessage>;

const NACK_ACTIONS: Record<number, NackAction> = { 0: 'unknown', 1: 'park', 2: 'retry', 3: 'skip', 4: 'stop' };

/** Writes in order, and after `write()` returns false waits for `drain` before writing again. */
class BackpressuredWriter {
  private readonly pending: ReadRespMessage[] = [];
  private waiting = false;

  constructor(private readonly call: ReadCall) {}

  write(message: ReadRespMessage): void {
    if (this.waiting) {
      this.pending.push(message);
      return;
    }
    if (!this.call.write(message)) this.waitForDrain();
  }

  private waitForDrain(): void {
    this.waiting = true;
    this.call.once('drain', () => {
      this.waiting = false;
      while (this.pending.length > 0) {
        if (!this.call.write(this.pending.shift()!)) {
          this.waitForDrain();
          return;
        }
      }
    });
  }
}

function identityOf(metadata: Metadata): ConnectionIdentity {
  const header = (name: string) => {
    const value = metadata.get(name)[0];
    return value === undefined ? undefined : String(value);
  };
  return {
    connectionName: header('connection-name') ?? '<unknown>',
    username: basicAuthUser(header('authorization')) ?? 'anonymous',
    // The server's gRPC layer passes an empty "from" (it is only filled for TCP clients).
    from: '',
  };
}

function basicAuthUser(authorization: string | undefined): string | undefined {
  const match = authorization === undefined ? null : /^Basic\s+(.+)$/i.exec(authorization);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? decoded : decoded.slice(0, colon);
}

export function readHandler(registry: PersistentSubscriptionRegistry, now: () => number) {
  return (call: ReadCall) => {
    const writer = new BackpressuredWriter(call);
    let joined: { group: SubscriptionGroup; connection: GroupConnection } | undefined;
    let started = false;
    let finished = false;

    const leave = () => {
      if (finished) return;
      finished = true;
      if (joined) joined.group.removeConnection(joined.connection);
    };

    const join = (request: ReadRequest) => {
      const options = request.getOptions();
      if (!options) {
        finished = true;
        call.emit('error', errors.invalidArgument('The first request must carry the subscription options.'));
        return;
      }
      const eventSource = eventSourceOf(options);
      const groupName = options.getGroupName();
      const group = registry.find(eventSource, groupName);
      const refusal = !group
        ? errors.persistentSubscriptionDoesNotExist(eventSource, groupName)
        : group.isFull
          ? errors.maximumSubscribersReached(eventSource, groupName)
          : undefined;
      if (!group || refusal) {
        finished = true;
        call.emit('error', refusal);
        return;
      }
      const structuredIds = options.getUuidOption()?.hasStructured() ?? false;
      const connection = new GroupConnection(
        identityOf(call.metadata),
        options.getBufferSize(),
        {
          deliver: (message) => writer.write(eventResponse(message, structuredIds)),
          drop: () => {
            // The group already forgot this connection; end the call so the client sees why.
            finished = true;
            call.emit('error', errors.persistentSubscriptionDropped(eventSource, groupName));
          },
        },
        { extraStatistics: group.settings.extraStatistics, now },
      );
      joined = { group, connection };
      writer.write(confirmationResponse(group.key));
      group.addConnection(connection);
    };

    call.on('data', (request: ReadRequest) => {
      if (finished) return;
      if (!started) {
        started = true;
        join(request);
        return;
      }
      if (!joined) return;
      const ack = request.getAck();
      const nack = request.getNack();
      if (request.hasAck() && ack) {
        joined.group.ack(ack.getIdsList().map(uuidText));
      } else if (request.hasNack() && nack) {
        joined.group.nack(nack.getIdsList().map(uuidText), NACK_ACTIONS[nack.getAction()] ?? 'unknown', nack.getReason());
      }
    });
    call.on('cancelled', leave);
    call.on('close', leave);
  };
}
