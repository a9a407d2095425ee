import type { Config } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import type { Authenticator } from '../../http/auth.ts';
import type { KeyringSource } from '../../lib/keys/index.ts';
import type { Logger } from '../../logger.ts';
import { authRoutes, requestMeta, sendTokens } from './auth.routes.ts';
import { sessionTokensSchema } from './auth.schemas.ts';
import { createAuthenticator, type TokenAuthenticator } from './authenticator.ts';
import { createLoginService, type Limiter, type LoginService } from './login/login.service.ts';
import { createSetupService } from './login/setup.service.ts';
import { createNewPasswordCheck } from './membership/new-password.ts';
import { createPasskeysModule } from './passkeys/index.ts';
import { createSecondFactors } from './second-factors.ts';
import { createAccountService } from './sessions/account.service.ts';
import { createSessionService } from './sessions/session.service.ts';
import { createAccessTokenIssuer } from './tokens/access-token.ts';

export interface AuthModuleDeps {
  config: Config;
  database: Database;
  logger: Logger;
  keys: KeyringSource;
  limiter: Limiter;
  /** API keys and agent tokens, consulted before access tokens for `vgl_` bearer values. */
  tokenAuthenticators?: TokenAuthenticator[];
  now?: () => Date;
}

/** Login, sessions and tokens: the services, their routes and the request authenticator. */
export function createAuthModule(deps: AuthModuleDeps) {
  const { config, database, logger, keys, limiter } = deps;
  const db = database.db;
  const tokens = createAccessTokenIssuer(keys, config.publicUrl.origin);
  const sessions = createSessionService({ db, config, tokens, now: deps.now });
  // The passkey routes finish a passwordless login through the login service, and the login
  // service checks passkeys as a second factor through the passkey service: built in two steps.
  let login: LoginService | undefined;
  const passkeys = createPasskeysModule({
    db,
    config,
    logger,
    loginResponse: sessionTokensSchema,
    completeLogin: async (request, reply, input) => {
      const tokens = await (login as LoginService).passkeyLogin(input.userId, requestMeta(request));
      return sendTokens(reply, config, tokens, { delivery: 'cookie', mfaEnrollmentRequired: false });
    },
  });
  const secondFactors = createSecondFactors({ keys, logger, passkeys: passkeys.service });
  login = createLoginService({ db, config, logger, sessions, secondFactors, limiter, now: deps.now });
  const setup = createSetupService({ db, config, sessions, checkNewPassword: createNewPasswordCheck({ config }) });
  const accounts = createAccountService({ db, config, sessions });
  const authenticate: Authenticator = createAuthenticator({ config, tokens, sessions, limiter, others: deps.tokenAuthenticators ?? [] });
  return {
    tokens,
    sessions,
    login,
    setup,
    accounts,
    authenticate,
    routes: authRoutes({ config, login, sessions, setup, accounts }),
    passkeyRoutes: passkeys.routes,
    jwks: () => keys.current().publicJwks('jwt'),
  };
}

export type AuthModule = ReturnType<typeof createAuthModule>;
