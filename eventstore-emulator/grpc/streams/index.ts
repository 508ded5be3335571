import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EmulatorContext } from '../context';
import { appendHandler } from './append';
import { batchAppendHandler } from './batch-append';
import { deleteHandler, tombstoneHandler } from './delete';
import { readHandler } from './read';

/** `event_store.client.streams.Streams`: spec 2.1–2.5, semantics 3.1–3.8. */
export function streamsService(context: EmulatorContext): UntypedServiceImplementation {
  return {
    append: appendHandler(context),
    batchAppend: batchAppendHandler(context),
    delete: deleteHandler(context),
    tombstone: tombstoneHandler(context),
    read: readHandler(context),
  };
}
