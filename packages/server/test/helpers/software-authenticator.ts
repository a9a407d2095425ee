import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A real WebAuthn authenticator in software, for tests: it holds an ES256 (P-256) key pair and
 * answers `navigator.credentials.create/get` options with the exact bytes a browser and a
 * platform authenticator would send (clientDataJSON, authenticator data, a "none" attestation
 * object in CBOR, DER-encoded ECDSA signatures). Every field a relying party must check can be
 * bent per call, so tests can forge what an attacker would.
 */

type CBORValue = Parameters<typeof isoCBOR.encode>[0];

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface SoftwareAuthenticatorOptions {
  /** The origin the "browser" reports in clientDataJSON. */
  origin: string;
  /** The RP ID whose SHA-256 goes into authenticator data. */
  rpId: string;
  /** Whether the authenticator verifies its user (PIN, biometrics): the UV flag. Default true. */
  userVerification?: boolean;
}

/** What a single call may bend: the attacks a test plays. */
export interface Overrides {
  origin?: string;
  rpId?: string;
  type?: string;
  /** Answer this challenge instead of the one in the options. */
  challenge?: string;
  userVerified?: boolean;
  userPresent?: boolean;
  /** Report this signature counter instead of the next one. */
  signCount?: number;
  /** Flip a bit of the signature (an assertion not made by the key). */
  corruptSignature?: boolean;
  /** Leave the user handle out of an assertion. */
  omitUserHandle?: boolean;
}

const b64url = (bytes: Uint8Array | Buffer): string => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

/** The credential public key as a COSE_Key map: EC2 (kty 2), ES256 (alg -7), P-256 (crv 1). */
function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x as string, 'base64url');
  const y = Buffer.from(jwk.y as string, 'base64url');
  return isoCBOR.encode(
    new Map<number, CBORValue>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, new Uint8Array(x)],
      [-3, new Uint8Array(y)],
    ]),
  );
}

export class SoftwareAuthenticator {
  readonly credentialId: Buffer = randomBytes(32);
  private readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  private counter = 0;
  private userHandle: string | null = null;

  constructor(private readonly options: SoftwareAuthenticatorOptions) {}

  get id(): string {
    return b64url(this.credentialId);
  }

  /** The counter the next assertion reports unless overridden (the authenticator's own state). */
  get signCount(): number {
    return this.counter;
  }

  private clientData(type: string, challenge: string, o: Overrides): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: o.type ?? type,
        challenge: o.challenge ?? challenge,
        origin: o.origin ?? this.options.origin,
        crossOrigin: false,
      }),
    );
  }

  private authData(o: Overrides, attested: Buffer | null): Buffer {
    const uv = o.userVerified ?? this.options.userVerification ?? true;
    const flags = ((o.userPresent ?? true) ? FLAG_UP : 0) | (uv ? FLAG_UV : 0) | (attested ? FLAG_AT : 0);
    const count = o.signCount ?? this.counter;
    return Buffer.concat([sha256(o.rpId ?? this.options.rpId), Buffer.from([flags]), uint32(count), attested ?? Buffer.alloc(0)]);
  }

  /** Answers registration options with a new credential and a "none" attestation. */
  register(options: PublicKeyCredentialCreationOptionsJSON, o: Overrides = {}): RegistrationResponseJSON {
    this.userHandle = options.user.id;
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const aaguid = Buffer.alloc(16);
    const attested = Buffer.concat([aaguid, idLength, this.credentialId, Buffer.from(coseKey(this.keys.publicKey))]);
    const authData = this.authData(o, attested);
    const attestationObject = isoCBOR.encode(
      new Map<string, CBORValue>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
      response: {
        clientDataJSON: b64url(this.clientData('webauthn.create', options.challenge, o)),
        attestationObject: b64url(attestationObject),
        transports: ['internal', 'hybrid'],
      },
    };
  }

  /** Signs an assertion for request options; the counter advances as a real authenticator's does. */
  assert(options: PublicKeyCredentialRequestOptionsJSON, o: Overrides = {}): AuthenticationResponseJSON {
    if (o.signCount === undefined) this.counter += 1;
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, o);
    const authData = this.authData(o, null);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.keys.privateKey);
    if (o.corruptSignature) signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 0x01;
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(this.userHandle && !o.omitUserHandle ? { userHandle: this.userHandle } : {}),
      },
    };
  }
}
