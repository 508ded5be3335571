import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EmulatorContext } from '../context';

export function streamsService(_context: EmulatorContext): UntypedServiceImplementation {
  return {};
}
