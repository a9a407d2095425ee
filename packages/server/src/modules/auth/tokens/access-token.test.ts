import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/config.ts';
import { createEphemeralKeyring, createKeyringSource, retireKey, rotateKey, staticKeyringSource } from '../../../lib/keys/index.ts';
import { ACCESS_TOKEN_TTL_SECONDS, type AccessClaims, createAccessTokenIssuer } from './access-token.ts';

const ISSUER = 'http://127.0.0.1:8080';
const claims: AccessClaims = { userId: randomUUID(), sessionId: randomUUID(), orgId: randomUUID(), mfaVerified: true };
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const quiet = { warn: () => {}, error: () => {} };

function parts(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [h, p, s] = token.split('.') as [string, string, string];
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
    signature: s,
  };
}

describe('access tokens', () => {
  const keyring = createEphemeralKeyring();
  const issuer = createAccessTokenIssuer(staticKeyringSource(keyring), ISSUER);

  it('round-trips its claims, with EdDSA, a kid and a 15-minute lifetime', async () => {
    const { token, expiresAt } = await issuer.sign(claims);
    expect(await issuer.verify(token)).toEqual(claims);
    const { header, payload } = parts(token);
    expect(header).toMatchObject({ alg: 'EdDSA', kid: keyring.active('jwt').kid, typ: 'at+jwt' });
    expect((payload.exp as number) - (payload.iat as number)).toBe(ACCESS_TOKEN_TTL_SECONDS);
    expect(expiresAt.getTime()).toBe((payload.exp as number) * 1000);
  });

  it('refuses alg none, with or without a signature', async () => {
    const { token } = await issuer.sign(claims);
    const { header, payload } = parts(token);
    const unsigned = `${b64({ ...header, alg: 'none' })}.${b64(payload)}.`;
    expect(await issuer.verify(unsigned)).toBeNull();
    expect(await issuer.verify(`${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(payload)}.`)).toBeNull();
    expect(await issuer.verify(`${b64({ ...header, alg: 'none' })}.${b64(payload)}.${parts(token).signature}`)).toBeNull();
  });

  it('refuses an HS256 token signed with the public key (algorithm confusion)', async () => {
    const { token } = await issuer.sign(claims);
    const { header, payload } = parts(token);
    const jwk = keyring.publicJwks('jwt').keys[0];
    const publicForms = [
      JSON.stringify(jwk),
      String(jwk?.x),
      Buffer.from(String(jwk?.x), 'base64url').toString('latin1'),
      keyring.active('jwt').publicKey?.export({ format: 'pem', type: 'spki' }).toString() ?? '',
    ];
    for (const secret of publicForms) {
      const signingInput = `${b64({ ...header, alg: 'HS256' })}.${b64(payload)}`;
      const mac = createHmac('sha256', secret).update(signingInput).digest('base64url');
      expect(await issuer.verify(`${signingInput}.${mac}`)).toBeNull();
    }
  });

  it('refuses an expired token and one issued in the future', async () => {
    const old = new Date(Date.now() - (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000);
    expect(await issuer.verify((await issuer.sign(claims, old)).token)).toBeNull();
    const future = new Date(Date.now() + 10 * 60 * 1000);
    expect(await issuer.verify((await issuer.sign(claims, future)).token)).toBeNull();
    // Still good one second before it ends.
    const almost = new Date(Date.now() - (ACCESS_TOKEN_TTL_SECONDS - 1) * 1000);
    expect(await issuer.verify((await issuer.sign(claims, almost)).token)).toEqual(claims);
  });

  it('refuses a tampered payload, header or signature', async () => {
    const { token } = await issuer.sign(claims);
    const { header, payload, signature } = parts(token);
    const [h, p] = token.split('.') as [string, string];
    expect(await issuer.verify(`${h}.${b64({ ...payload, org: randomUUID() })}.${signature}`)).toBeNull();
    expect(await issuer.verify(`${h}.${b64({ ...payload, mfa: !claims.mfaVerified })}.${signature}`)).toBeNull();
    expect(await issuer.verify(`${b64({ ...header, typ: 'JWT' })}.${p}.${signature}`)).toBeNull();
    // A middle character: the last one of a 64-byte signature carries padding bits only.
    const middle = Math.floor(signature.length / 2);
    const flipped = `${signature.slice(0, middle)}${signature[middle] === 'A' ? 'B' : 'A'}${signature.slice(middle + 1)}`;
    expect(await issuer.verify(`${h}.${p}.${flipped}`)).toBeNull();
  });

  it('refuses tokens from another keyring, issuer or audience, and garbage', async () => {
    const other = createAccessTokenIssuer(staticKeyringSource(createEphemeralKeyring()), ISSUER);
    expect(await issuer.verify((await other.sign(claims)).token)).toBeNull();
    const elsewhere = createAccessTokenIssuer(staticKeyringSource(keyring), 'https://evil.example');
    expect(await issuer.verify((await elsewhere.sign(claims)).token)).toBeNull();
    for (const junk of ['', 'a', 'a.b.c', '...', 'x'.repeat(10_000), `${'a'.repeat(100)}.\u0000.b`, '\ud800.\udfff.x']) {
      expect(await issuer.verify(junk)).toBeNull();
    }
  });

  it('refuses a token with a foreign kid, even when its signature is good for another purpose key', async () => {
    const { token } = await issuer.sign(claims);
    const { header, payload } = parts(token);
    const [, , signature] = token.split('.');
    expect(await issuer.verify(`${b64({ ...header, kid: keyring.active('report').kid })}.${b64(payload)}.${signature}`)).toBeNull();
    expect(await issuer.verify(`${b64({ ...header, kid: 'nope' })}.${b64(payload)}.${signature}`)).toBeNull();
  });
});

describe('signing-key rotation', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-jwt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({ VIGIL_DATA_DIR: dir, LOG_LEVEL: 'silent' });

  it('keeps old tokens valid after rotation and refuses them once the key is retired', async () => {
    let clock = Date.now();
    const source = createKeyringSource(config, quiet, () => clock);
    const issuer = createAccessTokenIssuer(source, ISSUER);
    const before = (await issuer.sign(claims)).token;
    const oldKid = parts(before).header.kid as string;

    rotateKey(config.keys.dir, 'jwt');
    // Another process (this one's reread is a minute away) signs with the new key: its id is
    // unknown here, so it is picked up at once.
    const newProcess = createAccessTokenIssuer(createKeyringSource(config, quiet), ISSUER);
    const after = (await newProcess.sign(claims)).token;
    expect(parts(after).header.kid).not.toBe(oldKid);
    expect(await issuer.verify(after)).toEqual(claims);
    expect(await issuer.verify(before)).toEqual(claims);
    expect(await newProcess.verify(before)).toEqual(claims);
    // This process signs with the new key after its next reread.
    clock += 61_000;
    expect(parts((await issuer.sign(claims)).token).header.kid).toBe(parts(after).header.kid);

    retireKey(config.keys.dir, 'jwt', oldKid);
    clock += 61_000;
    expect(await issuer.verify(before)).toBeNull();
    expect(await issuer.verify(after)).toEqual(claims);
  });
});
