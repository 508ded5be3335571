/**
 * Whether the shop answers: HTTP calls and the socket each report here, and the banner shows while
 * either cannot reach it. "Retry" asks every view on screen to read again and the socket to
 * reconnect now rather than at its next backoff.
 */
import { computed, signal } from '@preact/signals';

const httpDown = signal(false);
const socketDown = signal(false);
export const shopUnreachable = computed(() => httpDown.value || socketDown.value);

/** Bumped when the views on screen must read again (after a reconnect, or on Retry). */
export const resync = signal(0);

export function reportHttp(reached: boolean): void {
  if (httpDown.peek() !== !reached) httpDown.value = !reached;
}

export function reportSocket(reached: boolean): void {
  if (socketDown.peek() !== !reached) socketDown.value = !reached;
}

const retryListeners = new Set<() => void>();
export function onRetry(listener: () => void): () => void {
  retryListeners.add(listener);
  return () => retryListeners.delete(listener);
}

export function retryNow(): void {
  for (const listener of retryListeners) listener();
  resync.value++;
}
