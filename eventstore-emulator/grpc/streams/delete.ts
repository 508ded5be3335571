import { status, type handleUnaryCall } from '@grpc/grpc-js';
import type { EmulatorContext } from '../context';
import { rpcError } from '../errors';

export function deleteHandler(_context: EmulatorContext): handleUnaryCall<any, any> {
  return (_call, callback) => callback(rpcError(status.UNIMPLEMENTED, 'not built yet'));
}
export function tombstoneHandler(_context: EmulatorContext): handleUnaryCall<any, any> {
  return (_call, callback) => callback(rpcError(status.UNIMPLEMENTED, 'not built yet'));
}
