import { filterFromExpression } from '../filter';
import { persistent } from '../proto';
import { settingsFromProto, toInt64, type GroupSettings, type StartFrom } from './settings';
import { ALL_STREAM, type AllFilter, type GroupSource } from './source';
import { streamNameOf } from './wire';

/**
 * Create and Update requests, in both layouts: client 6.2.1 sends the deprecated one for streams
 * (`options.stream_identifier` + `settings.revision`, spec 2.6) and `options.all` for `$all`.
 */

type CreateRequest = InstanceType<typeof persistent.CreateReq>;
type UpdateRequest = InstanceType<typeof persistent.UpdateReq>;
type FilterOptions = InstanceType<typeof persistent.CreateReq.AllOptions.FilterOptions>;

interface PositionChoice {
  hasPosition(): boolean;
  getPosition(): { getCommitPosition(): string; getPreparePosition(): string } | undefined;
  hasStart(): boolean;
}

interface RevisionChoice {
  hasRevision(): boolean;
  getRevision(): string;
  hasStart(): boolean;
}

const START_POSITION: StartFrom = { kind: 'position', commit: 0n, prepare: 0n };
const END_POSITION: StartFrom = { kind: 'position', commit: -1n, prepare: -1n };

function allStart(all: PositionChoice): StartFrom {
  const position = all.getPosition();
  if (all.hasPosition() && position) {
    return { kind: 'position', commit: toInt64(position.getCommitPosition()), prepare: toInt64(position.getPreparePosition()) };
  }
  return all.hasStart() ? START_POSITION : END_POSITION;
}

function streamStart(stream: RevisionChoice): StartFrom {
  if (stream.hasRevision()) return { kind: 'revision', revision: toInt64(stream.getRevision()) };
  return { kind: 'revision', revision: stream.hasStart() ? 0n : -1n };
}

function allFilter(options: FilterOptions | undefined): AllFilter | undefined {
  if (!options) return undefined;
  const onStream = options.hasStreamIdentifier();
  const expression = onStream ? options.getStreamIdentifier() : options.getEventType();
  if (!expression) return undefined;
  const regex = expression.getRegex();
  return {
    matcher: filterFromExpression(onStream ? 'stream-name' : 'event-type', expression),
    context: onStream ? 'streamid' : 'eventtype',
    type: regex === '' ? 'prefix' : 'regex',
    data: regex === '' ? expression.getPrefixList().join(',') : regex,
  };
}

export interface GroupRequest {
  readonly source: GroupSource;
  readonly groupName: string;
  readonly settings: GroupSettings;
}

export function parseCreate(request: CreateRequest): GroupRequest {
  const options = request.getOptions() ?? new persistent.CreateReq.Options();
  const protoSettings = options.getSettings();
  const all = options.getAll();
  if (options.hasAll() && all) {
    const source: GroupSource = { kind: 'all', filter: all.hasFilter() ? allFilter(all.getFilter()) : undefined };
    return { source, groupName: options.getGroupName(), settings: settingsFromProto(protoSettings, allStart(all)) };
  }
  const stream = options.getStream();
  if (options.hasStream() && stream) {
    const source: GroupSource = { kind: 'stream', stream: streamNameOf(stream.getStreamIdentifier()) };
    return { source, groupName: options.getGroupName(), settings: settingsFromProto(protoSettings, streamStart(stream)) };
  }
  const revision = toInt64(protoSettings?.getRevision() ?? '0');
  const source: GroupSource = { kind: 'stream', stream: streamNameOf(options.getStreamIdentifier()) };
  return { source, groupName: options.getGroupName(), settings: settingsFromProto(protoSettings, { kind: 'revision', revision }) };
}

/** Update names its group by event source; a `$all` group's filter is not part of the request. */
export interface UpdateRequestParts {
  readonly eventSource: string;
  readonly groupName: string;
  readonly settings: GroupSettings;
}

export function parseUpdate(request: UpdateRequest): UpdateRequestParts {
  const options = request.getOptions() ?? new persistent.UpdateReq.Options();
  const protoSettings = options.getSettings();
  const all = options.getAll();
  if (options.hasAll() && all) {
    return { eventSource: ALL_STREAM, groupName: options.getGroupName(), settings: settingsFromProto(protoSettings, allStart(all)) };
  }
  const stream = options.getStream();
  if (options.hasStream() && stream) {
    return {
      eventSource: streamNameOf(stream.getStreamIdentifier()),
      groupName: options.getGroupName(),
      settings: settingsFromProto(protoSettings, streamStart(stream)),
    };
  }
  const revision = toInt64(protoSettings?.getRevision() ?? '0');
  return {
    eventSource: streamNameOf(options.getStreamIdentifier()),
    groupName: options.getGroupName(),
    settings: settingsFromProto(protoSettings, { kind: 'revision', revision }),
  };
}

/** The `stream_identifier | all{}` choice that Delete, GetInfo, ReplayParked and Read share. */
export function eventSourceOf(
  options: { hasAll(): boolean; getStreamIdentifier(): Parameters<typeof streamNameOf>[0] } | undefined,
): string {
  if (!options) return '';
  return options.hasAll() ? ALL_STREAM : streamNameOf(options.getStreamIdentifier());
}
