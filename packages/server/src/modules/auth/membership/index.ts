import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../../config/config.ts';
import type { Db } from '../../../db/database.ts';
import type { Authenticator } from '../../../http/auth.ts';
import type { Mailer } from '../../../lib/mailer/index.ts';
import type { Logger } from '../../../logger.ts';
import type { Limiter } from '../login/login.service.ts';
import type { FetchText } from '../passwords/index.ts';
import type { SessionService } from '../sessions/session.service.ts';
import { invitationRoutes } from './invitations.routes.ts';
import { createInvitationsService } from './invitations.service.ts';
import { createNewPasswordCheck } from './new-password.ts';
import { passwordRoutes } from './passwords.routes.ts';
import { createPasswordsService } from './passwords.service.ts';

export { createNewPasswordCheck, guardedFetchText, type NewPasswordCheck } from './new-password.ts';

export interface MembershipModuleDeps {
  config: Pick<Config, 'publicUrl' | 'tls' | 'auth' | 'outbound'>;
  db: Db;
  logger: Pick<Logger, 'info' | 'warn'>;
  mailer: Pick<Mailer, 'send'>;
  sessions: SessionService;
  limiter: Limiter;
  authenticate: Authenticator;
  /** The breached-password range fetch; default: through the outbound guard. */
  fetchText?: FetchText;
  now?: () => Date;
}

/** Invitations, password reset and password change: the flows that add people and credentials. */
export function createMembershipModule(deps: MembershipModuleDeps) {
  const checkNewPassword = createNewPasswordCheck({ config: deps.config, fetchText: deps.fetchText });
  const shared = { ...deps, checkNewPassword };
  const invitations = createInvitationsService(shared);
  const passwords = createPasswordsService(shared);
  const routes: FastifyPluginAsyncZod = async (app) => {
    await app.register(invitationRoutes({ config: deps.config, invitations, authenticate: deps.authenticate }));
    await app.register(passwordRoutes({ config: deps.config, passwords }));
  };
  return { invitations, passwords, checkNewPassword, routes, drain: () => passwords.drain() };
}

export type MembershipModule = ReturnType<typeof createMembershipModule>;
