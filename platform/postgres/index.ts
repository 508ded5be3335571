export * from './connection';
export * from './migrations';
export * from './listen';
export * from './checkpoint-channel';
