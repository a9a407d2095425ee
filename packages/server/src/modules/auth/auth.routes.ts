import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config/config.ts';
import { actorOf } from '../../http/auth.ts';
import { problemSchema } from '../../http/problem.ts';
import { authError } from './auth.errors.ts';
import {
  currentSessionSchema,
  loginBody,
  loginResponse,
  logoutBody,
  mfaChallengeBody,
  mfaLoginBody,
  refreshBody,
  sessionListSchema,
  sessionParams,
  sessionTokensSchema,
  setupBody,
} from './auth.schemas.ts';
import { assertSameOrigin } from './http/origin-guard.ts';
import { clearSessionCookies, refreshTokenFromCookie, setSessionCookies } from './http/refresh-cookie.ts';
import { safeRedirectPath } from './http/safe-redirect.ts';
import type { LoginService } from './login/login.service.ts';
import type { SetupService } from './login/setup.service.ts';
import type { AccountService } from './sessions/account.service.ts';
import type { IssuedTokens, RequestMeta, SessionService } from './sessions/session.service.ts';
import { ACCESS_TOKEN_TTL_SECONDS } from './tokens/access-token.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 429: problemSchema };
const noQuery = z.strictObject({});

export function requestMeta(request: FastifyRequest): RequestMeta {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

export interface AuthRouteDeps {
  config: Pick<Config, 'tls' | 'publicUrl'>;
  login: LoginService;
  sessions: SessionService;
  setup: SetupService;
  accounts: AccountService;
}

/** Sends a new session's tokens: the refresh token into the cookie (browsers) or the body (API clients). */
export function sendTokens(
  reply: FastifyReply,
  config: AuthRouteDeps['config'],
  tokens: IssuedTokens,
  opts: { delivery: 'cookie' | 'body'; redirectTo?: string; mfaEnrollmentRequired: boolean },
) {
  reply.header('cache-control', 'no-store');
  const csrfToken =
    opts.delivery === 'cookie' ? setSessionCookies(reply, config, tokens.refreshToken, tokens.refreshTokenExpiresAt) : undefined;
  return {
    status: 'authenticated' as const,
    tokenType: 'Bearer' as const,
    accessToken: tokens.accessToken,
    expiresIn: ACCESS_TOKEN_TTL_SECONDS,
    sessionId: tokens.sessionId,
    userId: tokens.userId,
    orgId: tokens.orgId,
    mfaVerified: tokens.mfaVerified,
    mfaEnrollmentRequired: opts.mfaEnrollmentRequired && !tokens.mfaVerified,
    ...(opts.delivery === 'body' ? { refreshToken: tokens.refreshToken } : { csrfToken }),
    refreshTokenExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
    redirectTo: safeRedirectPath(opts.redirectTo),
  };
}

export function authRoutes(deps: AuthRouteDeps): FastifyPluginAsyncZod {
  const { config } = deps;
  return async (app) => {
    app.post(
      '/auth/login',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Log in with email and password',
          querystring: noQuery,
          body: loginBody,
          response: { 200: loginResponse, ...errors },
        },
      },
      async (request, reply) => {
        // Login CSRF: another site must not sign a visitor into the attacker's account.
        assertSameOrigin(request, config.publicUrl.origin);
        const { refreshTokenDelivery, redirectTo, ...credentials } = request.body;
        const outcome = await deps.login.passwordLogin(credentials, requestMeta(request));
        reply.header('cache-control', 'no-store');
        if (outcome.kind === 'mfa') {
          return {
            status: 'mfa_required' as const,
            challenge: outcome.challenge,
            methods: outcome.methods,
            expiresAt: outcome.expiresAt.toISOString(),
          };
        }
        return sendTokens(reply, config, outcome.tokens, {
          delivery: refreshTokenDelivery,
          redirectTo,
          mfaEnrollmentRequired: outcome.mfaEnrollmentRequired,
        });
      },
    );

    app.post(
      '/auth/login/mfa',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Complete a login with a second factor',
          querystring: noQuery,
          body: mfaLoginBody,
          response: { 200: sessionTokensSchema, ...errors },
        },
      },
      async (request, reply) => {
        assertSameOrigin(request, config.publicUrl.origin);
        const { challenge, method, code, response, refreshTokenDelivery, redirectTo } = request.body;
        const answer = method === 'passkey' ? response : code;
        if (answer === undefined) throw authError('MFA_FAILED', method === 'passkey' ? 'send the passkey response' : 'send the code');
        const tokens = await deps.login.completeMfa({ challenge, method, answer }, requestMeta(request));
        return sendTokens(reply, config, tokens, { delivery: refreshTokenDelivery, redirectTo, mfaEnrollmentRequired: false });
      },
    );

    app.post(
      '/auth/login/mfa/passkey-options',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'WebAuthn options for answering a login challenge with a passkey',
          querystring: noQuery,
          body: mfaChallengeBody,
          response: { 200: z.record(z.string(), z.unknown()), ...errors },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return (await deps.login.mfaPasskeyOptions(request.body)) as Record<string, unknown>;
      },
    );

    app.post(
      '/auth/refresh',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Exchange a refresh token (cookie with X-CSRF-Token, or body) for new tokens',
          querystring: noQuery,
          body: refreshBody,
          response: { 200: sessionTokensSchema, ...errors },
        },
      },
      async (request, reply) => {
        const fromCookie = refreshTokenFromCookie(request, config);
        const token = fromCookie ?? request.body.refreshToken;
        if (!token) throw authError('REFRESH_INVALID', 'send the refresh cookie or a refreshToken');
        try {
          const tokens = await deps.sessions.refresh(token, requestMeta(request));
          const enrolment = await deps.accounts.mfaEnrollmentRequired(tokens.userId, tokens.orgId);
          return sendTokens(reply, config, tokens, {
            delivery: fromCookie ? 'cookie' : request.body.refreshTokenDelivery,
            mfaEnrollmentRequired: enrolment,
          });
        } catch (error) {
          if (fromCookie) clearSessionCookies(reply, config);
          throw error;
        }
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'End this session (refresh cookie with X-CSRF-Token, or refreshToken in the body)',
          querystring: noQuery,
          body: logoutBody,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        const token = refreshTokenFromCookie(request, config) ?? request.body.refreshToken;
        if (token) {
          const ended = await deps.sessions.revokeByRefreshToken(token, 'logout');
          if (ended) await deps.accounts.auditSessionEnd(ended, 'auth.logout', requestMeta(request));
        }
        clearSessionCookies(reply, config);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/logout-all',
      {
        config: { allowWithoutMfa: true },
        schema: {
          tags: ['auth'],
          summary: 'End every session of the signed-in user',
          querystring: noQuery,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        if (actor.kind !== 'user') throw authError('USER_ACTOR_REQUIRED');
        await deps.accounts.logoutEverywhere(actor, requestMeta(request));
        clearSessionCookies(reply, config);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/auth/session',
      {
        config: { allowWithoutMfa: true },
        schema: {
          tags: ['auth'],
          summary: 'Who is signed in, where, and with what',
          querystring: noQuery,
          response: { 200: currentSessionSchema, ...errors },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        if (actor.kind !== 'user') throw authError('USER_ACTOR_REQUIRED');
        return deps.accounts.describe(actor);
      },
    );

    app.get(
      '/auth/sessions',
      {
        config: { allowWithoutMfa: true },
        schema: {
          tags: ['auth'],
          summary: "The signed-in user's live sessions",
          querystring: noQuery,
          response: { 200: sessionListSchema, ...errors },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        if (actor.kind !== 'user') throw authError('USER_ACTOR_REQUIRED');
        const rows = await deps.sessions.list(actor.id);
        return {
          items: rows.map((s) => ({
            id: s.id,
            current: s.id === actor.sessionId,
            device: s.device,
            ip: s.ip,
            userAgent: s.userAgent,
            method: s.method,
            mfaVerified: s.mfaVerified,
            createdAt: s.createdAt.toISOString(),
            lastUsedAt: s.lastUsedAt.toISOString(),
            expiresAt: new Date(Math.min(s.idleExpiresAt.getTime(), s.absoluteExpiresAt.getTime())).toISOString(),
          })),
        };
      },
    );

    app.delete(
      '/auth/sessions/:sessionId',
      {
        config: { allowWithoutMfa: true },
        schema: {
          tags: ['auth'],
          summary: 'End one of your sessions',
          params: sessionParams,
          querystring: noQuery,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        if (actor.kind !== 'user') throw authError('USER_ACTOR_REQUIRED');
        const ended = await deps.sessions.revokeOwn(actor.id, request.params.sessionId);
        await deps.accounts.auditSessionEnd(ended, 'auth.session.revoked', requestMeta(request));
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/setup',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: "Set the first owner's password from the setup link",
          querystring: noQuery,
          body: setupBody,
          response: { 200: sessionTokensSchema, ...errors },
        },
      },
      async (request, reply) => {
        assertSameOrigin(request, config.publicUrl.origin);
        const tokens = await deps.setup.completeSetup(request.body, requestMeta(request));
        return sendTokens(reply, config, tokens, { delivery: request.body.refreshTokenDelivery, mfaEnrollmentRequired: false });
      },
    );
  };
}
