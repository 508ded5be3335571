export { backoffDelay, type Backoff } from './backoff';
export { retry, type RetryOptions, type RetryPolicy } from './retry';
