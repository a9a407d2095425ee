import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import type { z } from 'zod';

/**
 * Signed envelopes (actions, release manifests): `payload` is base64url of the JSON, the signature
 * is Ed25519 over the payload's ASCII text. The verifier checks the bytes it received and parses
 * them only after the signature holds, so no canonical-JSON agreement is needed between the
 * signer and the verifier, and nothing unsigned is ever read.
 */
export interface Envelope {
  payload: string;
  kid: string;
  signature: string;
}

/** A trusted Ed25519 public key: its id and raw 32 bytes as base64url (a JWK's `x`). */
export interface TrustedKey {
  kid: string;
  x: string;
}

export class EnvelopeError extends Error {
  constructor(
    readonly reason: 'unknown_key' | 'bad_signature' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

export function sealEnvelope(value: unknown, kid: string, privateKey: KeyObject): Envelope {
  const payload = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  const signature = sign(null, Buffer.from(payload, 'ascii'), privateKey).toString('base64url');
  return { payload, kid, signature };
}

/** The payload, parsed with `schema`, when the signature is by one of `keys`; EnvelopeError otherwise. */
export function openEnvelope<S extends z.ZodType>(envelope: Envelope, keys: readonly TrustedKey[], schema: S): z.infer<S> {
  const key = keys.find((candidate) => candidate.kid === envelope.kid);
  if (!key) throw new EnvelopeError('unknown_key', `signed with key ${JSON.stringify(envelope.kid)}, which is not trusted`);
  let valid = false;
  try {
    valid = verify(null, Buffer.from(envelope.payload, 'ascii'), publicKeyOf(key), Buffer.from(envelope.signature, 'base64url'));
  } catch {
    valid = false;
  }
  if (!valid) throw new EnvelopeError('bad_signature', 'the signature does not match the payload');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(envelope.payload, 'base64url').toString('utf8'));
  } catch {
    throw new EnvelopeError('malformed', 'the signed payload is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new EnvelopeError('malformed', `the signed payload is not valid: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export function publicKeyOf(key: TrustedKey): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.x }, format: 'jwk' });
}

/** The trusted-key form of an Ed25519 public KeyObject. */
export function trustedKeyOf(kid: string, publicKey: KeyObject): TrustedKey {
  const { x } = publicKey.export({ format: 'jwk' });
  return { kid, x: x as string };
}
