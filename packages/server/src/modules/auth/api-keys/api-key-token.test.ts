import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearerToken, generateToken, hashToken, looksLikeVigilToken, MAX_TOKEN_LENGTH, parseToken, tokenMatches } from './api-key-token.ts';

/** The CHECK on api_keys.prefix (0005_auth.sql): every prefix we mint must satisfy it. */
const PREFIX_CHECK = /^vgl_(live|agent)_[A-Za-z0-9]{8,16}$/;

describe('generateToken', () => {
  it.each([
    ['api', /^vgl_live_[A-Za-z0-9]{12}_[A-Za-z0-9]{43}$/, 'vgl_live_'],
    ['agent', /^vgl_agent_[A-Za-z0-9]{12}_[A-Za-z0-9]{43}$/, 'vgl_agent_'],
  ] as const)('mints %s tokens in their format, with a prefix the database accepts', (kind, format, tag) => {
    const issued = generateToken(kind);
    expect(issued.token).toMatch(format);
    expect(issued.prefix).toMatch(PREFIX_CHECK);
    expect(issued.prefix.startsWith(tag)).toBe(true);
    expect(issued.token.startsWith(`${issued.prefix}_`)).toBe(true);
    expect(issued.kind).toBe(kind);
  });

  it('stores the SHA-256 of the whole token, not the token', () => {
    const issued = generateToken('api');
    expect(issued.secretHash).toBe(createHash('sha256').update(issued.token).digest('hex'));
    expect(issued.secretHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('draws every base62 character and never repeats a token', () => {
    const tokens = Array.from({ length: 300 }, () => generateToken('api').token);
    expect(new Set(tokens).size).toBe(tokens.length);
    const seen = new Set(tokens.flatMap((t) => [...t.slice('vgl_live_'.length).replace('_', '')]));
    // 300 × 55 characters: a character missing from the alphabet (or a biased draw that never
    // reaches the last ones) would show here.
    expect(seen.size).toBe(62);
  });
});

describe('parseToken', () => {
  const live = generateToken('api');
  const agent = generateToken('agent');

  it('splits well-formed tokens into kind and prefix', () => {
    expect(parseToken(live.token)).toEqual({ kind: 'api', prefix: live.prefix, token: live.token });
    expect(parseToken(agent.token)).toEqual({ kind: 'agent', prefix: agent.prefix, token: agent.token });
    expect(agent.token.length).toBe(MAX_TOKEN_LENGTH);
  });

  const secretOf = (t: string) => t.slice(t.lastIndexOf('_') + 1);
  it.each([
    ['empty', ''],
    ['10 kB', `${live.token}${'a'.repeat(10_000)}`],
    ['the tag only', 'vgl_live_'],
    ['a prefix without secret', live.prefix],
    ['a short secret', live.token.slice(0, -1)],
    ['a long secret', `${live.token}A`],
    ['an 11-character id', `vgl_live_${'a'.repeat(11)}_${secretOf(live.token)}`],
    ['an unknown tag', live.token.replace('vgl_live_', 'vgl_test_')],
    ['upper case', live.token.replace('vgl_live_', 'VGL_LIVE_')],
    ['a NUL inside', `${live.token.slice(0, 20)}\u0000${live.token.slice(21)}`],
    ['a trailing newline', `${live.token}\n`],
    ['a leading space', ` ${live.token}`],
    ['a Cyrillic а in the secret', `${live.token.slice(0, -1)}а`],
    ['fullwidth digits', live.token.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)))],
    ['an emoji', `${live.token.slice(0, -2)}😀`],
    ['a JWT', 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln'],
  ])('refuses %s', (_what, value) => {
    expect(parseToken(value)).toBeNull();
  });

  it.each([[undefined], [null], [42], [{}], [['vgl_live_x']], [Buffer.from(live.token)]])('refuses the non-string %j', (value) => {
    expect(parseToken(value)).toBeNull();
  });
});

describe('bearer headers', () => {
  const { token } = generateToken('api');

  it('extracts the token of a Bearer header, whatever the scheme’s case', () => {
    expect(bearerToken(`Bearer ${token}`)).toBe(token);
    expect(bearerToken(`bearer ${token}`)).toBe(token);
    expect(bearerToken(`Basic ${token}`)).toBeNull();
    expect(bearerToken(`Bearer ${token} extra`)).toBeNull();
    expect(bearerToken(`Bearer ${token}${'x'.repeat(10_000)}`)).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('routes vgl_ bearers here (well-formed or not) and leaves everything else to the JWT verifier', () => {
    expect(looksLikeVigilToken(`Bearer ${token}`)).toBe(true);
    expect(looksLikeVigilToken('Bearer vgl_live_')).toBe(true);
    expect(looksLikeVigilToken(`Bearer vgl_${'x'.repeat(100_000)}`)).toBe(true);
    expect(looksLikeVigilToken('Bearer eyJhbGciOiJFZERTQSJ9.e30.c2ln')).toBe(false);
    expect(looksLikeVigilToken(token)).toBe(false);
    expect(looksLikeVigilToken('')).toBe(false);
    expect(looksLikeVigilToken(undefined)).toBe(false);
    expect(looksLikeVigilToken(['Bearer vgl_live_x'])).toBe(false);
  });
});

describe('tokenMatches', () => {
  const issued = generateToken('api');

  it('accepts the token its hash was made of, and nothing else', () => {
    expect(tokenMatches(issued.token, issued.secretHash)).toBe(true);
    const other = `${issued.token.slice(0, -1)}${issued.token.endsWith('A') ? 'B' : 'A'}`;
    expect(tokenMatches(other, issued.secretHash)).toBe(false);
    expect(tokenMatches(issued.token, hashToken(other))).toBe(false);
  });

  it('refuses (never throws on) a stored hash of the wrong shape', () => {
    expect(tokenMatches(issued.token, '')).toBe(false);
    expect(tokenMatches(issued.token, issued.secretHash.slice(0, 62))).toBe(false);
    expect(tokenMatches(issued.token, 'zz'.repeat(32))).toBe(false);
  });
});
