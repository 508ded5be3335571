export * from './tokens';
export * from './require-role';
