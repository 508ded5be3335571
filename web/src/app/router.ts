/**
 * Hash routing (`#/orders/…`): the console's origin serves one index.html at `/`, so every page
 * lives after the `#`. `route` is the path as segments; links are plain `<a href="#/…">`.
 */
import { signal } from '@preact/signals';

function currentPath(): string[] {
  const path = location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  return path
    .split('/')
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
}

export const route = signal<string[]>(currentPath());
window.addEventListener('hashchange', () => {
  route.value = currentPath();
});

export const href = (...segments: string[]) => `#/${segments.map(encodeURIComponent).join('/')}`;

export function navigate(...segments: string[]): void {
  location.hash = href(...segments);
}
