import { createHash, randomBytes } from 'node:crypto';
import type { Config, RateLimitName } from '../../../config/config.ts';
import type { Db, Tx } from '../../../db/database.ts';
import { withSystem } from '../../../db/tenant.ts';
import { ipRateLimitKey } from '../../../http/rate-limit/index.ts';
import type { AppError } from '../../../lib/app-error.ts';
import type { Logger } from '../../../logger.ts';
import { recordAudit } from '../../audit/audit.service.ts';
import { authError } from '../auth.errors.ts';
import { dummyVerify, hashPassword, verifyPassword } from '../passwords/index.ts';
import type { IssuedTokens, RequestMeta, SessionService } from '../sessions/session.service.ts';
import { hashToken } from '../sessions/session.service.ts';
import { loginRepo as repo } from './login.repo.ts';

export type SecondFactorMethod = 'totp' | 'backup_code' | 'passkey';

/** The enrolled second factors of a user and how to check an answer; the MFA modules supply it. */
export interface SecondFactors {
  enrolled(tx: Tx, userId: string): Promise<SecondFactorMethod[]>;
  /** Checks and spends an answer (a TOTP step, a backup code, a passkey challenge). */
  verify(tx: Tx, userId: string, method: SecondFactorMethod, answer: unknown): Promise<boolean>;
  /** WebAuthn request options for a user's passkeys (the browser signs their challenge). */
  passkeyOptions(tx: Tx, userId: string): Promise<unknown>;
}

export interface Limiter {
  hit(name: RateLimitName, key: string): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
}

export type LoginOutcome =
  | { kind: 'session'; tokens: IssuedTokens; mfaEnrollmentRequired: boolean }
  | { kind: 'mfa'; challenge: string; methods: SecondFactorMethod[]; expiresAt: Date };

const MFA_CHALLENGE_TTL_MS = 5 * 60 * 1000;
const MFA_CHALLENGE_MAX_ATTEMPTS = 5;
/** Failures further apart than this do not add up. */
const FAILURE_MEMORY_MS = 24 * 60 * 60 * 1000;
const MAX_EMAIL_LENGTH = 254;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The one spelling of an account name that lockout, rate limits and the lookup all use. They must
 * agree exactly: if the database matched a spelling (say `İ` for `i`) that hashes to another
 * throttle key, each variant would bring a fresh guessing budget for the same account.
 */
export function normalizeAccountName(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/** What the throttle and the rate limit key an account by: a hash, so neither stores an address. */
export function accountKey(email: string): string {
  return createHash('sha256')
    .update(`login\0${normalizeAccountName(email)}`)
    .digest('hex');
}

function lockedError(until: Date, at: Date): AppError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - at.getTime()) / 1000));
  return authError('ACCOUNT_LOCKED', `try again in ${seconds} s`, { retryAfter: seconds });
}

/** PostgreSQL refuses NUL and malformed UTF-16 in text: such a name has no account, so no query. */
function isLookupable(email: string): boolean {
  return email.length <= MAX_EMAIL_LENGTH && !email.includes('\u0000') && !LONE_SURROGATE.test(email);
}

/** Per-IP limits count an IPv6 client per /64 (one host owns the whole prefix). */
function ipKey(meta: RequestMeta): string {
  return meta.ip ? ipRateLimitKey(meta.ip) : 'unknown';
}

/** What every login audit entry says about who acted on whom: the user, on themselves. */
function byUser(userId: string, meta: RequestMeta) {
  return { actorKind: 'user' as const, actorUserId: userId, targetType: 'user', targetId: userId, ip: meta.ip, userAgent: meta.userAgent };
}

export function requiresMfa(config: Pick<Config, 'auth'>, orgSettings: Record<string, unknown>): boolean {
  return config.auth.requireMfa || orgSettings.requireMfa === true;
}

export function createLoginService(deps: {
  db: Db;
  config: Pick<Config, 'auth'>;
  logger: Pick<Logger, 'info' | 'warn'>;
  sessions: SessionService;
  secondFactors: SecondFactors;
  limiter: Limiter;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const { lockoutAfter, lockoutBaseSeconds, lockoutMaxSeconds } = deps.config.auth;

  async function limit(name: RateLimitName, key: string): Promise<void> {
    const decision = await deps.limiter.hit(name, key);
    if (!decision.allowed)
      throw authError('ACCOUNT_LOCKED', `try again in ${decision.retryAfterSeconds} s`, { retryAfter: decision.retryAfterSeconds });
  }

  function lockoutSeconds(failures: number): number {
    const beyond = failures - lockoutAfter;
    return Math.min(lockoutMaxSeconds, lockoutBaseSeconds * 2 ** Math.min(beyond, 30));
  }

  /**
   * Password login. Every failure before the second factor (unknown email, wrong password, no
   * password set, no membership, disabled) costs one argon2id verification and answers
   * LOGIN_FAILED, so neither the message nor the time tells accounts apart. Lockout counts per
   * account name whether or not it exists, for the same reason.
   *
   * The attempt is counted as a failure before the password is checked (and forgiven when it
   * was right): concurrent guesses then cannot all slip in under the threshold. The hash runs
   * outside any transaction, so a slow verification never holds a database connection.
   */
  async function passwordLogin(input: { email: string; password: string; orgId?: string }, meta: RequestMeta): Promise<LoginOutcome> {
    const email = String(input.email ?? '').slice(0, MAX_EMAIL_LENGTH + 1);
    const key = accountKey(email);
    await limit('login', ipKey(meta));
    await limit('login_account', key);

    const first = await withSystem(deps.db, async (tx) => {
      const at = now();
      const lockedUntil = await repo.lockedUntil(tx, key);
      if (lockedUntil && lockedUntil > at) return { locked: lockedError(lockedUntil, at) };
      const { failures, lockedUntil: lockedMeanwhile } = await repo.recordFailure(tx, key, at, new Date(at.getTime() - FAILURE_MEMORY_MS));
      // Locked by a concurrent attempt between the read above and this upsert (PostgreSQL runs
      // them in parallel): refused like any locked attempt, never checked.
      if (lockedMeanwhile && lockedMeanwhile > at) return { locked: lockedError(lockedMeanwhile, at) };
      if (failures >= lockoutAfter) await repo.lock(tx, key, new Date(at.getTime() + lockoutSeconds(failures) * 1000));
      const account = isLookupable(email) ? await repo.findAccount(tx, normalizeAccountName(email)) : null;
      // The same query whether or not the account exists: the answer's timing must not differ.
      const orgs = await repo.memberships(tx, account?.userId ?? NIL_UUID);
      return { account, orgs, failures };
    });
    if ('locked' in first) throw first.locked;
    const { account, orgs, failures } = first;

    let verified = false;
    let rehash: string | null = null;
    if (account?.passwordHash) ({ ok: verified, rehash } = await verifyPassword(account.passwordHash, input.password));
    else await dummyVerify(input.password);
    const org = input.orgId ? orgs.find((m) => m.orgId === input.orgId) : orgs[0];

    if (!account || !verified || !org) {
      // The same log line for every failure (an unknown account's only record): a line written
      // for one kind alone would cost it measurably more time than the other.
      deps.logger.info({ event: 'auth.login.failed', account: key.slice(0, 16), ip: meta.ip }, 'login failed');
      if (!account) throw authError('LOGIN_FAILED');
      // Written after answering, so that the answer for a real account takes no longer than the
      // one for an unknown account (which has no organization to audit in).
      const userId = account.userId;
      setImmediate(() => {
        withSystem(deps.db, async (tx) => {
          for (const m of orgs) {
            await recordAudit(
              tx,
              { system: true, orgId: m.orgId },
              {
                action: 'auth.login.failed',
                ...byUser(userId, meta),
                details: { failures },
              },
            );
          }
        }).catch((error) => deps.logger.warn({ err: error, userId }, 'could not audit a failed login'));
      });
      throw authError('LOGIN_FAILED');
    }

    return withSystem(deps.db, async (tx): Promise<LoginOutcome> => {
      const at = now();
      if (rehash) await repo.setPasswordHash(tx, account.userId, rehash);
      const factors = await deps.secondFactors.enrolled(tx, account.userId);
      // With a second factor pending, only this attempt is forgiven: the failures are cleared
      // when a session opens, and wrong codes count too, so a known password does not buy
      // unlimited rounds of code guessing.
      if (factors.length > 0) await repo.forgiveOne(tx, key);
      else await repo.clearFailures(tx, key);
      const scope = { system: true as const, orgId: org.orgId };
      const audit = byUser(account.userId, meta);
      if (factors.length > 0) {
        const challenge = randomBytes(32).toString('base64url');
        const expiresAt = new Date(at.getTime() + MFA_CHALLENGE_TTL_MS);
        await repo.insertChallenge(tx, {
          purpose: 'mfa',
          secretHash: hashToken(challenge),
          userId: account.userId,
          orgId: org.orgId,
          data: { method: 'password', accountKey: key },
          expiresAt,
        });
        await recordAudit(tx, scope, { ...audit, action: 'auth.login.password_accepted', details: { secondFactor: 'pending' } });
        return { kind: 'mfa', challenge, methods: factors, expiresAt };
      }
      const tokens = await deps.sessions.start(
        tx,
        { userId: account.userId, orgId: org.orgId, method: 'password', mfaVerified: false },
        meta,
      );
      await recordAudit(tx, scope, {
        ...audit,
        action: 'auth.login.succeeded',
        details: { sessionId: tokens.sessionId, secondFactor: 'none' },
      });
      return { kind: 'session', tokens, mfaEnrollmentRequired: requiresMfa(deps.config, org.orgSettings) };
    });
  }

  /**
   * The second step: a challenge from a correct password plus one second factor. The challenge
   * row is locked while it is decided, so of many concurrent answers at most one opens a session;
   * wrong answers count against the challenge, which dies after five.
   */
  async function completeMfa(
    input: { challenge: string; method: SecondFactorMethod; answer: unknown },
    meta: RequestMeta,
  ): Promise<IssuedTokens> {
    if (typeof input.challenge !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(input.challenge)) throw authError('MFA_FAILED');
    const secretHash = hashToken(input.challenge);
    // The per-user limit is asked before the transaction: with a shared PostgreSQL limiter, a
    // limiter call inside it would hold one pool connection while waiting for another.
    const pending = await withSystem(deps.db, (tx) => repo.peekChallenge(tx, secretHash, 'mfa', now()));
    if (!pending?.userId) throw authError('MFA_FAILED');
    const decision = await deps.limiter.hit('mfa', pending.userId);
    if (!decision.allowed) {
      throw authError('ACCOUNT_LOCKED', `try again in ${decision.retryAfterSeconds} s`, { retryAfter: decision.retryAfterSeconds });
    }
    const result = await withSystem(deps.db, async (tx) => {
      const at = now();
      const challenge = await repo.lockChallenge(tx, secretHash, 'mfa', at);
      if (!challenge?.userId || !challenge.orgId || challenge.attempts >= MFA_CHALLENGE_MAX_ATTEMPTS) return { ok: false as const };
      const throttleKey = typeof challenge.data.accountKey === 'string' ? challenge.data.accountKey : null;
      const passed = await deps.secondFactors.verify(tx, challenge.userId, input.method, input.answer);
      const scope = { system: true as const, orgId: challenge.orgId };
      const audit = byUser(challenge.userId, meta);
      if (!passed || !(await repo.useChallenge(tx, challenge.id, at))) {
        await repo.countChallengeFailure(tx, challenge.id);
        if (throttleKey) {
          const { failures } = await repo.recordFailure(tx, throttleKey, at, new Date(at.getTime() - FAILURE_MEMORY_MS));
          if (failures >= lockoutAfter) await repo.lock(tx, throttleKey, new Date(at.getTime() + lockoutSeconds(failures) * 1000));
        }
        await recordAudit(tx, scope, { ...audit, action: 'auth.mfa.failed', details: { method: input.method } });
        return { ok: false as const };
      }
      const tokens = await deps.sessions.start(
        tx,
        { userId: challenge.userId, orgId: challenge.orgId, method: 'password', mfaVerified: true },
        meta,
      );
      if (throttleKey) await repo.clearFailures(tx, throttleKey);
      await recordAudit(tx, scope, {
        ...audit,
        action: 'auth.login.succeeded',
        details: { sessionId: tokens.sessionId, secondFactor: input.method },
      });
      return { ok: true as const, tokens };
    });
    if (!result.ok) {
      throw authError('MFA_FAILED');
    }
    return result.tokens;
  }

  /** The passkey options for a pending login's second factor; the challenge stays unspent. */
  async function mfaPasskeyOptions(input: { challenge: string }): Promise<unknown> {
    if (typeof input.challenge !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(input.challenge)) throw authError('MFA_FAILED');
    const options = await withSystem(deps.db, async (tx) => {
      const challenge = await repo.lockChallenge(tx, hashToken(input.challenge), 'mfa', now());
      if (!challenge?.userId || challenge.attempts >= MFA_CHALLENGE_MAX_ATTEMPTS) return null;
      if (!(await deps.secondFactors.enrolled(tx, challenge.userId)).includes('passkey')) return null;
      return deps.secondFactors.passkeyOptions(tx, challenge.userId);
    });
    if (!options) throw authError('MFA_FAILED');
    return options;
  }

  /**
   * A passwordless passkey login (user verification included, so it counts as both factors):
   * a session in the user's first organization.
   */
  async function passkeyLogin(userId: string, meta: RequestMeta): Promise<IssuedTokens> {
    return withSystem(deps.db, async (tx) => {
      const [org] = await repo.memberships(tx, userId);
      if (!org || !(await repo.isActive(tx, userId))) throw authError('LOGIN_FAILED');
      const tokens = await deps.sessions.start(tx, { userId, orgId: org.orgId, method: 'passkey', mfaVerified: true }, meta);
      await recordAudit(
        tx,
        { system: true, orgId: org.orgId },
        {
          action: 'auth.login.succeeded',
          ...byUser(userId, meta),
          details: { sessionId: tokens.sessionId, secondFactor: 'passkey', passwordless: true },
        },
      );
      return tokens;
    });
  }

  /** Sets a user's password (already checked against the policy by the caller). */
  async function setPassword(tx: Tx, userId: string, password: string): Promise<void> {
    await repo.setPasswordHash(tx, userId, await hashPassword(password));
  }

  return { passwordLogin, completeMfa, mfaPasskeyOptions, passkeyLogin, setPassword };
}

export type LoginService = ReturnType<typeof createLoginService>;
