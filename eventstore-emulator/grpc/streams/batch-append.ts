import { status, type handleBidiStreamingCall } from '@grpc/grpc-js';
import type { EmulatorContext } from '../context';
import { rpcError } from '../errors';

export function batchAppendHandler(_context: EmulatorContext): handleBidiStreamingCall<any, any> {
  return (call: any, ...rest: any[]) => {
    const callback = rest[0];
    const error = rpcError(status.UNIMPLEMENTED, 'not built yet');
    if (typeof callback === 'function') callback(error);
    else call.emit('error', error);
  };
}
