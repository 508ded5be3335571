export * from './server';
export * from './problem';
export * from './error-handler';
export * from './readiness';
export * from './metrics';
export * from './shutdown';
export * from './correlation';
export { storableText } from './nul-guard';
