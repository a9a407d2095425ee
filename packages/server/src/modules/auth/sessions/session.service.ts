import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../../../config/config.ts';
import type { Db, Tx } from '../../../db/database.ts';
import type { SessionMethod } from '../../../db/schema.ts';
import { withSystem } from '../../../db/tenant.ts';
import { cleanUserAgent, recordAudit } from '../../audit/audit.service.ts';
import { authError } from '../auth.errors.ts';
import type { AccessTokenIssuer } from '../tokens/access-token.ts';
import { sessionRepo as repo, type SessionRow } from './session.repo.ts';

/** Where a request came from, as Fastify established it (TRUST_PROXY honoured, nothing else). */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export interface IssuedTokens {
  sessionId: string;
  userId: string;
  orgId: string;
  mfaVerified: boolean;
  accessToken: string;
  accessTokenExpiresAt: Date;
  /** 256 random bits, shown once; only its SHA-256 is stored. */
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

export interface StartSessionInput {
  userId: string;
  orgId: string;
  method: SessionMethod;
  mfaVerified: boolean;
}

const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A short human label for the sessions list ("Firefox on Linux"), never trusted for anything. */
function deviceLabel(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const browser = /(Edg|Firefox|Chrome|Safari|curl|vigil)[/ ]/i.exec(userAgent)?.[1] ?? null;
  const os = /(Windows|Mac OS X|Android|iPhone|iPad|Linux)/i.exec(userAgent)?.[1] ?? null;
  const label = [browser === 'Edg' ? 'Edge' : browser, os && `on ${os}`].filter(Boolean).join(' ');
  return label || null;
}

export function createSessionService(deps: { db: Db; config: Pick<Config, 'auth'>; tokens: AccessTokenIssuer; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const { sessionIdleSeconds, sessionMaxSeconds } = deps.config.auth;
  const idleUntil = (from: Date, absolute: Date) => new Date(Math.min(from.getTime() + sessionIdleSeconds * 1000, absolute.getTime()));

  async function issue(session: Pick<SessionRow, 'id' | 'userId' | 'orgId' | 'mfaVerified' | 'idleExpiresAt'>, tx: Tx, at: Date) {
    const refreshToken = randomBytes(32).toString('base64url');
    await repo.insertRefreshToken(tx, session.id, hashToken(refreshToken));
    const access = await deps.tokens.sign(
      { userId: session.userId, sessionId: session.id, orgId: session.orgId, mfaVerified: session.mfaVerified },
      at,
    );
    return {
      sessionId: session.id,
      userId: session.userId,
      orgId: session.orgId,
      mfaVerified: session.mfaVerified,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt: session.idleExpiresAt,
    } satisfies IssuedTokens;
  }

  return {
    /** Opens a session (a new refresh-token family) inside the caller's system-scope transaction. */
    async start(tx: Tx, input: StartSessionInput, meta: RequestMeta): Promise<IssuedTokens> {
      const at = now();
      const absoluteExpiresAt = new Date(at.getTime() + sessionMaxSeconds * 1000);
      const userAgent = cleanUserAgent(meta.userAgent);
      const session = await repo.insert(tx, {
        ...input,
        ip: meta.ip,
        userAgent,
        device: deviceLabel(userAgent),
        idleExpiresAt: idleUntil(at, absoluteExpiresAt),
        absoluteExpiresAt,
      });
      return issue(session, tx, at);
    },

    /**
     * Exchanges a refresh token for a new pair. The old token is spent; presenting a spent token
     * again means it was copied (or a client misbehaved), so the whole session is revoked and the
     * reuse audited. `mfa_verified` is read from the session row, never from the request: a
     * refresh can keep a verified second factor but never add one.
     */
    async refresh(refreshToken: string, meta: RequestMeta): Promise<IssuedTokens> {
      if (typeof refreshToken !== 'string' || !REFRESH_TOKEN_PATTERN.test(refreshToken)) throw authError('REFRESH_INVALID');
      const tokenHash = hashToken(refreshToken);
      const outcome = await withSystem(deps.db, async (tx) => {
        const at = now();
        const found = await repo.lockByRefreshToken(tx, tokenHash);
        if (!found) return { ok: false as const };
        const { token, session } = found;
        if (token.rotatedAt !== null) {
          const revoked = await repo.revoke(tx, session.id, 'refresh_reuse', at);
          if (revoked) {
            await recordAudit(
              tx,
              { system: true, orgId: session.orgId },
              {
                action: 'auth.refresh.reused',
                actorKind: 'user',
                actorUserId: session.userId,
                targetType: 'session',
                targetId: session.id,
                ip: meta.ip,
                userAgent: meta.userAgent,
              },
            );
          }
          return { ok: false as const };
        }
        if (session.revokedAt || session.idleExpiresAt <= at || session.absoluteExpiresAt <= at) return { ok: false as const };
        if (!(await repo.markRotated(tx, tokenHash, at))) return { ok: false as const };
        const idleExpiresAt = idleUntil(at, session.absoluteExpiresAt);
        await repo.touch(tx, session.id, at, idleExpiresAt, meta.ip, cleanUserAgent(meta.userAgent));
        const live = await repo.resolveAccess(tx, session.id, session.userId, session.orgId, at);
        if (!live) return { ok: false as const };
        return { ok: true as const, tokens: await issue({ ...session, idleExpiresAt }, tx, at) };
      });
      if (!outcome.ok) throw authError('REFRESH_INVALID');
      return outcome.tokens;
    },

    /** Ends one session at once; its access tokens stop working on their next request. */
    async revoke(sessionId: string, reason: string): Promise<SessionRow | null> {
      return withSystem(deps.db, (tx) => repo.revoke(tx, sessionId, reason, now()));
    },

    async revokeByRefreshToken(refreshToken: string, reason: string): Promise<SessionRow | null> {
      if (typeof refreshToken !== 'string' || !REFRESH_TOKEN_PATTERN.test(refreshToken)) return null;
      return withSystem(deps.db, async (tx) => {
        const found = await repo.lockByRefreshToken(tx, hashToken(refreshToken));
        return found ? repo.revoke(tx, found.session.id, reason, now()) : null;
      });
    },

    revokeAllForUser(tx: Tx, userId: string, reason: string, opts: { orgId?: string; except?: string } = {}): Promise<number> {
      return repo.revokeForUser(tx, userId, reason, now(), opts);
    },

    async list(userId: string): Promise<SessionRow[]> {
      return withSystem(deps.db, (tx) => repo.listLive(tx, userId, now()));
    },

    async revokeOwn(userId: string, sessionId: string): Promise<SessionRow> {
      return withSystem(deps.db, async (tx) => {
        const session = await repo.findForUser(tx, userId, sessionId);
        if (!session) throw authError('SESSION_NOT_FOUND');
        return (await repo.revoke(tx, sessionId, 'revoked_by_user', now())) ?? session;
      });
    },

    markMfaVerified: (tx: Tx, sessionId: string) => repo.markMfaVerified(tx, sessionId),

    async resolve(sessionId: string, userId: string, orgId: string) {
      return withSystem(deps.db, (tx) => repo.resolveAccess(tx, sessionId, userId, orgId, now()));
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
