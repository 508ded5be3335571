export * from './connection';
export * from './subjects';
