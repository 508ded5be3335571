export * from './principal';
export * from './tokens';
export * from './claims';
export * from './oidc';
export * from './from-env';
export * from './require-role';
