import type { Config } from '../../config/config.ts';
import { usersRoutes } from './users.routes.ts';
import { createUsersService, type UsersServiceDeps } from './users.service.ts';

export { createUsersService, REAUTH_WINDOW_MS, type UsersService } from './users.service.ts';

/** Erasure of personal data: DELETE /users/me and an admin's DELETE /members/:id/personal-data. */
export function createUsersModule(deps: UsersServiceDeps & { config: Pick<Config, 'tls'> }) {
  const service = createUsersService(deps);
  return { service, routes: usersRoutes(service, deps.config) };
}
