import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.ts';
import { CLIENT_ROLES, type Role } from '../../db/schema.ts';
import type { Actor, Authenticator } from '../../http/auth.ts';
import { authError } from './auth.errors.ts';
import type { Limiter } from './login/login.service.ts';
import { requiresMfa } from './login/login.service.ts';
import type { SessionService } from './sessions/session.service.ts';
import type { AccessTokenIssuer } from './tokens/access-token.ts';

const BEARER = /^Bearer ([\x21-\x7e]{1,4096})$/;

export interface TokenAuthenticator {
  /** True when the value has the shape of one of this authenticator's tokens. */
  handles(token: string): boolean;
  authenticate(token: string): Promise<Actor | null>;
}

/**
 * Turns `Authorization: Bearer …` into an actor: an access token (JWT) resolved against its
 * live session and current membership, or an API key / agent token. Each actor's requests are
 * rate limited per token. A member whose organization requires a second factor and whose
 * session has none reaches only the routes that let them set one up.
 */
export function createAuthenticator(deps: {
  config: Pick<Config, 'auth'>;
  tokens: AccessTokenIssuer;
  sessions: SessionService;
  limiter: Limiter;
  others: TokenAuthenticator[];
}): Authenticator {
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    if (typeof header !== 'string') return null;
    const token = BEARER.exec(header)?.[1];
    if (!token) return null;
    const other = deps.others.find((candidate) => candidate.handles(token));
    const actor = other ? await other.authenticate(token) : await userActor(token);
    if (!actor) return null;
    const decision = await deps.limiter.hit('api', `${actor.kind}:${actor.sessionId ?? actor.id}`);
    if (!decision.allowed)
      throw authError('ACCOUNT_LOCKED', `try again in ${decision.retryAfterSeconds} s`, { retryAfter: decision.retryAfterSeconds });
    return actor;

    async function userActor(jwt: string): Promise<Actor | null> {
      const claims = await deps.tokens.verify(jwt);
      if (!claims) return null;
      const live = await deps.sessions.resolve(claims.sessionId, claims.userId, claims.orgId);
      if (!live) return null;
      if (requiresMfa(deps.config, live.orgSettings) && !live.mfaVerified && request.routeOptions.config.allowWithoutMfa !== true) {
        throw authError('MFA_REQUIRED');
      }
      const clientBound = (CLIENT_ROLES as readonly Role[]).includes(live.role);
      return {
        kind: 'user',
        id: claims.userId,
        sessionId: claims.sessionId,
        mfaVerified: live.mfaVerified,
        tenant: {
          orgId: claims.orgId,
          userId: claims.userId,
          role: live.role,
          clientIds: clientBound && live.clientId ? [live.clientId] : 'all',
        },
      };
    }
  };
}
