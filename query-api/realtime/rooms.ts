/**
 * Which socket.io rooms a user's notifications go to, and which NATS subject feeds which room.
 * Rooms are joined only by the server, from the verified token: socket.io has no way for a client
 * to join a room itself, and this gateway offers none.
 */
import { fromSubjectToken } from '../../platform/nats/subjects';
import type { Principal } from '../../platform/auth';

export const ADMIN_ROOM = 'admin';

export function userRoom(userId: string): string {
  return `user:${userId}`;
}

export function roomsOf(principal: Principal): string[] {
  return principal.role === 'admin' ? [userRoom(principal.sub), ADMIN_ROOM] : [userRoom(principal.sub)];
}

/**
 * `<prefix>.customer.<token>` → that customer's room; `<prefix>.admin` → the admin room; anything
 * else under the prefix → undefined (not ours to deliver).
 */
export function roomOfSubject(
  subject: string,
  prefix: string,
): { room: string; audience: 'customer' | 'admin'; userId: string } | undefined {
  if (!subject.startsWith(`${prefix}.`)) return undefined;
  const tokens = subject.slice(prefix.length + 1).split('.');
  if (tokens.length === 1 && tokens[0] === 'admin') return { room: ADMIN_ROOM, audience: 'admin', userId: '*' };
  if (tokens.length === 2 && tokens[0] === 'customer' && tokens[1]) {
    try {
      const userId = fromSubjectToken(tokens[1]);
      return { room: userRoom(userId), audience: 'customer', userId };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
