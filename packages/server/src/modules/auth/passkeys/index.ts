import type { Db } from '../../../db/database.ts';
import { type PasskeyRoutesDeps, passkeysRoutes } from './passkeys.routes.ts';
import { createPasskeysService, type PasskeysDeps } from './passkeys.service.ts';

/**
 * Passkeys: the service (for the login flow's second factor, on its own transaction) and the
 * routes (enrolment, management, passwordless login).
 */
export function createPasskeysModule(deps: PasskeysDeps & { db: Db } & Omit<PasskeyRoutesDeps, 'db' | 'service'>) {
  const service = createPasskeysService(deps);
  return {
    service,
    routes: passkeysRoutes({ db: deps.db, service, completeLogin: deps.completeLogin, loginResponse: deps.loginResponse }),
  };
}

export { PASSKEY_ERRORS } from './passkeys.errors.ts';
export type { CompletedLoginInput } from './passkeys.routes.ts';
export type { PasskeyLogin, PasskeysService } from './passkeys.service.ts';
