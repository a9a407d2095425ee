import { createHash, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../../config/config.ts';
import { authError } from '../auth.errors.ts';
import { assertSameOrigin } from './origin-guard.ts';

export const CSRF_HEADER = 'x-csrf-token';

/**
 * Browser sessions keep their refresh token in an HttpOnly, Secure, SameSite=Strict cookie that
 * scripts cannot read. The CSRF token is derived from it (so it is bound to that session and
 * changes at every rotation) and given to the page twice: in the response body and in a
 * readable cookie, so the dashboard finds it again after a reload. A cookie-authenticated change
 * must echo it in `X-CSRF-Token`, which another site can neither read nor send.
 */
export function cookieNames(config: Pick<Config, 'tls'>) {
  // __Host- pins the cookie to this exact origin (no Domain, Path=/, Secure); browsers accept it
  // over https only, so a plain-http development server uses the unprefixed names.
  return config.tls ? { refresh: '__Host-vigil_refresh', csrf: '__Host-vigil_csrf' } : { refresh: 'vigil_refresh', csrf: 'vigil_csrf' };
}

export function csrfTokenFor(refreshToken: string): string {
  return createHash('sha256').update(`vigil csrf\0${refreshToken}`).digest('base64url');
}

export function setSessionCookies(reply: FastifyReply, config: Pick<Config, 'tls'>, refreshToken: string, expiresAt: Date): string {
  const names = cookieNames(config);
  const csrf = csrfTokenFor(refreshToken);
  const common = { path: '/', secure: true, sameSite: 'strict' as const, expires: expiresAt };
  reply.setCookie(names.refresh, refreshToken, { ...common, httpOnly: true });
  reply.setCookie(names.csrf, csrf, { ...common, httpOnly: false });
  return csrf;
}

export function clearSessionCookies(reply: FastifyReply, config: Pick<Config, 'tls'>): void {
  const names = cookieNames(config);
  for (const name of [names.refresh, names.csrf]) {
    reply.clearCookie(name, { path: '/', secure: true, sameSite: 'strict', httpOnly: name === names.refresh });
  }
}

/**
 * The refresh token of a cookie-authenticated request, after the CSRF checks (origin and token);
 * null when the request carries no refresh cookie.
 */
export function refreshTokenFromCookie(request: FastifyRequest, config: Pick<Config, 'tls' | 'publicUrl'>): string | null {
  const token = request.cookies[cookieNames(config).refresh];
  if (!token) return null;
  assertSameOrigin(request, config.publicUrl.origin);
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== 'string') throw authError('CSRF_REJECTED', `the ${CSRF_HEADER} header is missing`);
  const expected = Buffer.from(csrfTokenFor(token));
  const given = Buffer.from(sent);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw authError('CSRF_REJECTED', `the ${CSRF_HEADER} header is wrong`);
  return token;
}
