import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { KeyringSource } from '../../../lib/keys/index.ts';

/** Access tokens live 15 minutes: short enough that a stolen one soon stops working. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
const AUDIENCE = 'vigil-api';
const TOKEN_TYPE = 'at+jwt';
/** A JWT longer than this is not ours; refusing it first keeps parsing cost bounded. */
const MAX_TOKEN_LENGTH = 4096;
const CLOCK_TOLERANCE_SECONDS = 5;

export interface AccessClaims {
  userId: string;
  sessionId: string;
  orgId: string;
  mfaVerified: boolean;
}

export interface AccessTokenIssuer {
  sign(claims: AccessClaims, now?: Date): Promise<{ token: string; expiresAt: Date }>;
  /** The claims of a valid token, or null for anything else (never throws on input). */
  verify(token: string, now?: Date): Promise<AccessClaims | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * EdDSA (Ed25519) access tokens. The algorithm is pinned on both sides: the header must say
 * EdDSA and name a key id, the key is looked up by that id among the JWT keyring's verifying keys
 * (never taken from the token), and jose is told to accept EdDSA only, so `alg: none`, HS256
 * signed with the public key and RS/ES confusion all fail before any signature check.
 */
export function createAccessTokenIssuer(keys: KeyringSource, issuer: string): AccessTokenIssuer {
  return {
    async sign(claims, now = new Date()) {
      const key = keys.current().active('jwt');
      const issuedAt = Math.floor(now.getTime() / 1000);
      const expiresAt = issuedAt + ACCESS_TOKEN_TTL_SECONDS;
      const token = await new SignJWT({ sid: claims.sessionId, org: claims.orgId, mfa: claims.mfaVerified })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: TOKEN_TYPE })
        .setSubject(claims.userId)
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(randomUUID())
        .sign(key.key);
      return { token, expiresAt: new Date(expiresAt * 1000) };
    },

    async verify(token, now = new Date()) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
      try {
        const { payload } = await jwtVerify(
          token,
          async (header) => {
            if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') throw new joseErrors.JOSENotSupported('unexpected header');
            const entry = keys.keyById('jwt', header.kid);
            if (!entry?.publicKey) throw new joseErrors.JWKSNoMatchingKey();
            return entry.publicKey;
          },
          {
            algorithms: ['EdDSA'],
            issuer,
            audience: AUDIENCE,
            typ: TOKEN_TYPE,
            currentDate: now,
            clockTolerance: CLOCK_TOLERANCE_SECONDS,
            maxTokenAge: ACCESS_TOKEN_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS,
            requiredClaims: ['sub', 'sid', 'org', 'exp', 'iat'],
          },
        );
        const { sub, sid, org, mfa } = payload;
        if (typeof sub !== 'string' || typeof sid !== 'string' || typeof org !== 'string' || typeof mfa !== 'boolean') return null;
        if (!UUID.test(sub) || !UUID.test(sid) || !UUID.test(org)) return null;
        return { userId: sub, sessionId: sid, orgId: org, mfaVerified: mfa };
      } catch {
        return null;
      }
    },
  };
}
