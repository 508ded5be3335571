/**
 * Where this tab's own writes to an order landed in the log (the command's `position`), so the
 * order page's first read waits for them (X-Min-Position) instead of showing the order before
 * the write, or "not found" right after placing it.
 */
import type { LogPosition } from '../../app/api';

const positions = new Map<string, LogPosition>();

export function rememberWrite(orderId: string, position: LogPosition | null): void {
  if (position) positions.set(orderId, position);
}

export function writtenPosition(orderId: string): LogPosition | undefined {
  return positions.get(orderId);
}
