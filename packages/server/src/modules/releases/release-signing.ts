import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  EnvelopeError,
  openEnvelope,
  RELEASE_SCHEMA,
  type ReleaseManifest,
  type ReleasePlatform,
  releaseManifestSchema,
  type SignedRelease,
  sealEnvelope,
  signedReleaseSchema,
  type TrustedKey,
  trustedKeyOf,
} from '@vigil/protocol';
import { z } from 'zod';

/**
 * The offline release key: `vigil release keygen` writes it, `vigil release sign` uses it. It is
 * not one of the server's keyrings on purpose: the server that talks to agents every minute must
 * not hold the key that decides what code runs as root on them. A server taken over can then
 * offer only releases the publisher signed (and agents refuse downgrades).
 */
export const RELEASE_KEY_SCHEMA = 'vigil.release-key/1';

const keyFileSchema = z.strictObject({
  schema: z.literal(RELEASE_KEY_SCHEMA),
  kid: z.string().regex(/^[\x21-\x7e]{1,64}$/),
  createdAt: z.string(),
  /** The private key as an Ed25519 JWK (`d` and `x`). */
  jwk: z.strictObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), d: z.string(), x: z.string() }),
});
export type ReleaseKeyFile = z.infer<typeof keyFileSchema>;

export interface ReleaseSigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: TrustedKey;
}

export function generateReleaseKey(kid: string, now = new Date()): { file: ReleaseKeyFile; publicKey: TrustedKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as { d: string; x: string };
  return {
    file: { schema: RELEASE_KEY_SCHEMA, kid, createdAt: now.toISOString(), jwk: { kty: 'OKP', crv: 'Ed25519', d: jwk.d, x: jwk.x } },
    publicKey: trustedKeyOf(kid, publicKey),
  };
}

/** A default key id: the date and the start of the public key's hash, so two keys never share one. */
export function defaultReleaseKid(x: string, now = new Date()): string {
  const hash = createHash('sha256').update(x).digest('hex').slice(0, 8);
  return `release-${now.toISOString().slice(0, 10).replaceAll('-', '')}-${hash}`;
}

export function parseReleaseKeyFile(text: string): ReleaseSigningKey {
  let file: ReleaseKeyFile;
  try {
    file = keyFileSchema.parse(JSON.parse(text));
  } catch {
    throw new Error(`not a release key file (${RELEASE_KEY_SCHEMA})`);
  }
  const privateKey = createPrivateKey({ key: { ...file.jwk }, format: 'jwk' });
  return { kid: file.kid, privateKey, publicKey: trustedKeyOf(file.kid, createPublicKey(privateKey)) };
}

export interface SignOptions {
  version: string;
  platform: ReleasePlatform;
  minimumVersion: string;
  expiresAt: Date;
  url: string;
}

/** The signed manifest of `file`: its SHA-256 and size, and what the publisher says about it. */
export function signRelease(file: Buffer, options: SignOptions, key: Pick<ReleaseSigningKey, 'kid' | 'privateKey'>): SignedRelease {
  const manifest: ReleaseManifest = releaseManifestSchema.parse({
    schema: RELEASE_SCHEMA,
    version: options.version,
    platform: options.platform,
    sha256: createHash('sha256').update(file).digest('hex'),
    size: file.length,
    minimumVersion: options.minimumVersion,
    expiresAt: options.expiresAt.toISOString(),
    url: options.url,
  });
  return signedReleaseSchema.parse(sealEnvelope(manifest, key.kid, key.privateKey));
}

/** Checks a manifest as an agent would (signature, then size and hash of `file`); throws naming the first problem. */
export function verifyRelease(signed: unknown, file: Buffer, keys: readonly TrustedKey[]): ReleaseManifest {
  const envelope = signedReleaseSchema.safeParse(signed);
  if (!envelope.success) throw new Error('not a signed release manifest');
  let manifest: ReleaseManifest;
  try {
    manifest = openEnvelope(envelope.data, keys, releaseManifestSchema);
  } catch (error) {
    if (error instanceof EnvelopeError) throw new Error(`signature: ${error.message}`);
    throw error;
  }
  if (file.length !== manifest.size) throw new Error(`the file is ${file.length} bytes, the manifest says ${manifest.size}`);
  const sha256 = createHash('sha256').update(file).digest('hex');
  if (sha256 !== manifest.sha256) throw new Error(`the file's SHA-256 is ${sha256}, the manifest says ${manifest.sha256}`);
  return manifest;
}

/** The manifest inside an envelope, read WITHOUT checking the signature: for listing only. */
export function unverifiedManifest(signed: SignedRelease): ReleaseManifest | null {
  try {
    return releaseManifestSchema.parse(JSON.parse(Buffer.from(signed.payload, 'base64url').toString('utf8')));
  } catch {
    return null;
  }
}
