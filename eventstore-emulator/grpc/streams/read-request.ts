import { status, type ServiceError } from '@grpc/grpc-js';
import type { ReadReq as ReadReqMessage } from '@eventstore/db-client/generated/streams_pb';
import type { Direction } from '../../log/event-log';
import { rpcError } from '../errors';
import { filterFromExpression, type RecordFilter } from '../filter';
import { streams } from '../proto';
import type { UuidFormat } from './read-responses';

/**
 * `Streams.Read` serves four client calls (spec 2.3); this is the request decoded into the one
 * it is, or the INVALID_ARGUMENT the server would answer. Starts keep the wire's meaning:
 * a read from N includes N, a subscription from N starts after it.
 */
export type ReadRequest =
  | { kind: 'read-stream'; stream: string; direction: Direction; from: StreamStart; count: bigint; resolveLinks: boolean; uuid: UuidFormat }
  | {
      kind: 'read-all';
      direction: Direction;
      from: AllStart;
      count: bigint;
      filter: RecordFilter | undefined;
      resolveLinks: boolean;
      uuid: UuidFormat;
    }
  | { kind: 'subscribe-stream'; stream: string; from: StreamStart; resolveLinks: boolean; uuid: UuidFormat }
  | { kind: 'subscribe-all'; from: AllStart; filter: SubscriptionFilter | undefined; resolveLinks: boolean; uuid: UuidFormat };

export type StreamStart = 'start' | 'end' | bigint;
export type AllStart = 'start' | 'end' | bigint;

export interface SubscriptionFilter {
  readonly filter: RecordFilter;
  /** Considered records between checkpoints: search window (default 32) × multiplier (spec 3.8). */
  readonly checkpointInterval: number;
}

/** The server's page size, which is also the default search window of a filtered read. */
const DEFAULT_SEARCH_WINDOW = 32;

const { Options } = streams.ReadReq;
type OptionsMessage = InstanceType<typeof Options>;

/** A request the server would refuse with INVALID_ARGUMENT. */
export class InvalidReadRequest extends Error {
  readonly rpcError: ServiceError;
  constructor(details: string) {
    super(details);
    this.rpcError = rpcError(status.INVALID_ARGUMENT, details);
  }
}

export function parseReadRequest(request: ReadReqMessage): ReadRequest {
  const options = request.getOptions();
  if (!options) throw invalid(' `options` is a required argument');
  const uuid = uuidFormat(options);
  const resolveLinks = options.getResolveLinks();
  const direction: Direction = options.getReadDirection() === Options.ReadDirection.BACKWARDS ? 'backwards' : 'forwards';
  const countCase = options.getCountOptionCase();
  const filterCase = options.getFilterOptionCase();
  const subscribing = countCase === Options.CountOptionCase.SUBSCRIPTION;
  if (countCase === Options.CountOptionCase.COUNT_OPTION_NOT_SET) throw invalid('A count or a subscription is required');

  switch (options.getStreamOptionCase()) {
    case Options.StreamOptionCase.STREAM: {
      // The server has no filtered stream read and no backwards subscription.
      if (filterCase === Options.FilterOptionCase.FILTER || (subscribing && direction === 'backwards')) throw invalidCombination();
      const streamOptions = options.getStream()!;
      const stream = Buffer.from(streamOptions.getStreamIdentifier()?.getStreamName_asU8() ?? []).toString('utf8');
      const from = streamStart(streamOptions);
      return subscribing
        ? { kind: 'subscribe-stream', stream, from, resolveLinks, uuid }
        : { kind: 'read-stream', stream, direction, from, count: BigInt(options.getCount()), resolveLinks, uuid };
    }
    case Options.StreamOptionCase.ALL: {
      if (subscribing && direction === 'backwards') throw invalidCombination();
      const from = allStart(options.getAll()!);
      const filterOptions = filterCase === Options.FilterOptionCase.FILTER ? options.getFilter() : undefined;
      if (!subscribing) {
        return {
          kind: 'read-all',
          direction,
          from,
          count: BigInt(options.getCount()),
          filter: filterOptions && recordFilter(filterOptions),
          resolveLinks,
          uuid,
        };
      }
      return { kind: 'subscribe-all', from, filter: filterOptions && subscriptionFilter(filterOptions), resolveLinks, uuid };
    }
    default:
      throw invalid("'None' is not a valid stream option");
  }
}

function uuidFormat(options: OptionsMessage): UuidFormat {
  switch (options.getUuidOption()?.getContentCase()) {
    case Options.UUIDOption.ContentCase.STRING:
      return 'string';
    case Options.UUIDOption.ContentCase.STRUCTURED:
      return 'structured';
    default:
      throw invalid(' `uuidOption` is a required argument');
  }
}

function streamStart(streamOptions: InstanceType<typeof Options.StreamOptions>): StreamStart {
  switch (streamOptions.getRevisionOptionCase()) {
    case Options.StreamOptions.RevisionOptionCase.REVISION:
      return BigInt(streamOptions.getRevision());
    case Options.StreamOptions.RevisionOptionCase.END:
      return 'end';
    default:
      return 'start';
  }
}

function allStart(allOptions: InstanceType<typeof Options.AllOptions>): AllStart {
  switch (allOptions.getAllOptionCase()) {
    case Options.AllOptions.AllOptionCase.POSITION:
      // Commit = prepare for every record the emulator writes; the commit position decides.
      return BigInt(allOptions.getPosition()!.getCommitPosition());
    case Options.AllOptions.AllOptionCase.END:
      return 'end';
    default:
      return 'start';
  }
}

type FilterOptionsMessage = InstanceType<typeof Options.FilterOptions>;

function recordFilter(filterOptions: FilterOptionsMessage): RecordFilter {
  const target = filterOptions.getFilterCase() === Options.FilterOptions.FilterCase.EVENT_TYPE ? 'event-type' : 'stream-name';
  const expression = target === 'event-type' ? filterOptions.getEventType() : filterOptions.getStreamIdentifier();
  if (!expression) throw invalid("'None' is not a valid filter");
  try {
    return filterFromExpression(target, expression);
  } catch (error) {
    // A regex JavaScript cannot compile: the caller's mistake, not an emulator crash.
    throw invalid(`Invalid filter regex: ${(error as Error).message}`);
  }
}

function subscriptionFilter(filterOptions: FilterOptionsMessage): SubscriptionFilter {
  const window = filterOptions.getWindowCase() === Options.FilterOptions.WindowCase.MAX ? filterOptions.getMax() : DEFAULT_SEARCH_WINDOW;
  const multiplier = filterOptions.getCheckpointintervalmultiplier();
  if (window <= 0 || multiplier <= 0) throw invalid('The checkpoint interval multiplier and the search window must be greater than 0');
  return { filter: recordFilter(filterOptions), checkpointInterval: window * multiplier };
}

function invalid(details: string): InvalidReadRequest {
  return new InvalidReadRequest(details);
}

function invalidCombination(): InvalidReadRequest {
  return invalid('The combination of stream option, count option, read direction and filter option is invalid.');
}
