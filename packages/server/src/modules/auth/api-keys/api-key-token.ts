import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyKind } from '../../../db/schema.ts';

/**
 * The wire format of API keys and agent tokens:
 *
 *   vgl_live_<id>_<secret>    an API key
 *   vgl_agent_<id>_<secret>   an agent token
 *
 * `<id>` is 12 base62 characters; `vgl_live_<id>` is the public, indexed `prefix` that finds the
 * row (it matches the CHECK on api_keys.prefix). `<secret>` is 43 base62 characters, 256 bits.
 * The database keeps only the SHA-256 of the whole token: a dump of it lets nobody authenticate.
 * Base62 and underscores only, so a token survives double-click selection, shells and URLs.
 */
const ID_LENGTH = 12;
const SECRET_LENGTH = 43;
const TAGS: Record<ApiKeyKind, string> = { api: 'live', agent: 'agent' };
const TOKEN = /^vgl_(live|agent)_([A-Za-z0-9]{12})_([A-Za-z0-9]{43})$/;
/** The longest well-formed token (the agent form); anything longer is refused before any regex. */
export const MAX_TOKEN_LENGTH = 'vgl_agent_'.length + ID_LENGTH + 1 + SECRET_LENGTH;
/** `Bearer ` plus a token, with room for a few stray spaces; longer headers are not ours. */
const MAX_HEADER_LENGTH = MAX_TOKEN_LENGTH + 16;
const BEARER = /^Bearer +(\S+) *$/i;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface ParsedToken {
  kind: ApiKeyKind;
  /** `vgl_live_<id>` or `vgl_agent_<id>`: what the row is looked up by. */
  prefix: string;
  token: string;
}

export interface IssuedToken extends ParsedToken {
  /** SHA-256 hex of the whole token: the only form the database stores. */
  secretHash: string;
}

/**
 * Uniform base62 from the CSPRNG (also the secret of enrollment tokens, modules/agents). Bytes ≥ 248 (= 4 × 62) are thrown away instead of reduced
 * modulo 62, which would make the first eight characters likelier and shave entropy.
 */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateToken(kind: ApiKeyKind): IssuedToken {
  const prefix = `vgl_${TAGS[kind]}_${randomBase62(ID_LENGTH)}`;
  const token = `${prefix}_${randomBase62(SECRET_LENGTH)}`;
  return { kind, prefix, token, secretHash: hashToken(token) };
}

/** A well-formed token split into its parts, or null for anything else. Never throws. */
export function parseToken(value: unknown): ParsedToken | null {
  // Bounded input first: a 10 MB header must cost no more than a short one.
  if (typeof value !== 'string' || value.length > MAX_TOKEN_LENGTH) return null;
  const match = TOKEN.exec(value);
  if (!match) return null;
  const kind: ApiKeyKind = match[1] === 'live' ? 'api' : 'agent';
  return { kind, prefix: `vgl_${match[1]}_${match[2]}`, token: value };
}

/** The token of an `Authorization: Bearer …` header (null when the header is anything else). */
export function bearerToken(header: unknown): string | null {
  if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return null;
  return BEARER.exec(header)?.[1] ?? null;
}

/**
 * Whether a header carries one of our tokens (well-formed or not), so the authenticator sends it
 * here and not to the JWT verifier. A malformed `vgl_` token is then refused here, never retried
 * as a JWT.
 */
export function looksLikeVigilToken(header: unknown): boolean {
  if (typeof header !== 'string') return false;
  return /^Bearer +vgl_/i.test(header.slice(0, 32));
}

/** Guessing secrets by timing: both sides are fixed-length SHA-256 digests compared in constant time. */
export function tokenMatches(token: string, storedHash: string): boolean {
  const actual = Buffer.from(hashToken(token), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  // A stored hash that is not 64 hex digits (the CHECK forbids it) cannot match anything.
  if (expected.length !== actual.length) return false;
  return timingSafeEqual(actual, expected);
}

const DUMMY_HASH = hashToken('vgl_live_000000000000_0000000000000000000000000000000000000000000');

/**
 * The work `tokenMatches` does, for an unknown prefix: without it, a quick miss would tell an
 * attacker which prefixes exist.
 */
export function dummyTokenMatch(token: string): void {
  tokenMatches(token, DUMMY_HASH);
}
