export * from './server';
export * from './problem';
export * from './error-handler';
export * from './readiness';
export * from './metrics';
export * from './shutdown';
export * from './correlation';
export { corsOrigins, isOrigin, CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS } from './cors';
export { storableText } from './nul-guard';
