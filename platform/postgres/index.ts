export * from './connection';
export * from './migrations';
export * from './listen';
export * from './checkpoint-channel';
export * from './embedded';
export * from './embedded-socket';
