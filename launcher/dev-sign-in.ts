/**
 * `npm start`'s development sign-in: the console's origin mints a token for any user in either
 * role, signed with the launcher's own secret. Only for a secret the launcher generated (no
 * JWT_SECRET): a secret someone set may be one that other systems trust.
 */
import { mintToken, type Role } from '../platform/auth';
import type { DevSignIn } from '../web/origin/app';

/** A working day: long enough not to interrupt a session, short enough that a leaked one dies. */
export const DEV_TOKEN_LIFETIME_SECONDS = 8 * 60 * 60;

export function devSignIn(secret: string, now: () => number = Date.now): DevSignIn {
  return {
    async mint(sub: string, role: Role) {
      const issuedAt = Math.floor(now() / 1000);
      const token = await mintToken({ sub, role, secret, issuedAt, expiresIn: DEV_TOKEN_LIFETIME_SECONDS });
      return { token, expiresAt: new Date((issuedAt + DEV_TOKEN_LIFETIME_SECONDS) * 1000).toISOString() };
    },
  };
}
