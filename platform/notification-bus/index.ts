export * from './port';
export * from './nats';
export * from './in-process';
