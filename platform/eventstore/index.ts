export * from './types';
export * from './errors';
export * from './client';
export * from './read-stream';
export * from './append';
export * from './event-ids';
export * from './position';
export * from './command-handler';
export type { ConflictRetry } from './conflict-retry';
