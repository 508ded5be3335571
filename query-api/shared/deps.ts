/** What every route of the query API is given. */
import type { Knex } from 'knex';
import type { ReadYourWritesGuard, ReadModel } from '../consistency/read-your-writes';
import type { RoleGuard } from '../../platform/auth';

export interface RouteDeps {
  knex: Knex;
  /** `preHandler` guard: hold the request until `readModels` have applied its X-Min-Position. */
  readYourWrites(readModels: readonly ReadModel[]): ReadYourWritesGuard;
  /** Any signed-in user: a customer or an admin. */
  signedIn: RoleGuard;
  adminOnly: RoleGuard;
}

export const bearer = [{ bearer: [] }];
