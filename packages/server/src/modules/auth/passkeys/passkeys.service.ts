import { createHash, randomFillSync } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Config } from '../../../config/config.ts';
import type { Tx } from '../../../db/database.ts';
import type { Logger } from '../../../logger.ts';
import { passkeyError } from './passkeys.errors.ts';
import { type PasskeyRow, passkeysRepo as repo } from './passkeys.repo.ts';
import { type PasskeyView, TRANSPORTS } from './passkeys.schemas.ts';

/** How long a ceremony may take, from options to answer. */
export const CHALLENGE_TTL_SECONDS = 5 * 60;
const MAX_PUBLIC_KEY_BYTES = 2048;

export interface PasskeyLogin {
  userId: string;
  /** The row id of the passkey used. */
  passkeyId: string;
  /** The WebAuthn credential id (base64url). */
  credentialId: string;
  userVerified: boolean;
}

export interface PasskeysDeps {
  config: Pick<Config, 'auth' | 'publicUrl'>;
  logger: Pick<Logger, 'warn' | 'info'>;
}

export type PasskeysService = ReturnType<typeof createPasskeysService>;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The WebAuthn user handle: the user id's 16 bytes, which name nobody (no email, no name). */
export function userHandleOf(userId: string): string {
  return Buffer.from(userId.replaceAll('-', ''), 'hex').toString('base64url');
}

/**
 * The challenge a response claims to answer, read from its clientDataJSON without trusting it:
 * it only finds the stored challenge (by hash); the library then checks the whole client data.
 */
function claimedChallenge(clientDataJSON: string): string | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const challenge = (parsed as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(challenge) ? challenge : null;
  } catch {
    return null;
  }
}

const knownTransports = (values: readonly string[] | undefined): AuthenticatorTransportFuture[] =>
  (values ?? []).filter((t): t is AuthenticatorTransportFuture => (TRANSPORTS as readonly string[]).includes(t));

export function presentPasskey(row: PasskeyRow): PasskeyView {
  return {
    id: row.id,
    name: row.name,
    transports: row.transports,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

/**
 * Passkeys as a second factor and for passwordless login. Every method runs on a `withSystem`
 * transaction the caller owns, so the login flow can verify a passkey inside its own.
 * Verification methods answer null for every refusal (and log why) instead of throwing: a throw
 * would roll the caller's transaction back and un-spend the challenge.
 */
export function createPasskeysService({ config, logger }: PasskeysDeps) {
  const rp = { id: config.auth.webauthnRpId, origin: config.publicUrl.origin, name: 'Vigil' };

  async function newChallenge(
    tx: Tx,
    purpose: 'webauthn_register' | 'webauthn_login',
    userId: string | null,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = randomFillSync(new Uint8Array(32));
    const challenge = Buffer.from(bytes).toString('base64url');
    await repo.insertChallenge(tx, { purpose, userId, secretHash: sha256(challenge), challenge, ttlSeconds: CHALLENGE_TTL_SECONDS });
    return bytes;
  }

  const refuse = (why: string, extra: Record<string, unknown> = {}) => {
    logger.info({ ...extra, reason: why }, 'passkey refused');
    return null;
  };

  return {
    /** The account a passkey is for; null once erased. */
    findUser: (tx: Tx, userId: string) => repo.findUser(tx, userId),

    async registrationOptions(
      tx: Tx,
      user: { id: string; email: string; displayName: string | null },
    ): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const existing = await repo.listByUser(tx, user.id);
      return generateRegistrationOptions({
        rpName: rp.name,
        rpID: rp.id,
        userName: user.email,
        userDisplayName: user.displayName ?? user.email,
        userID: Uint8Array.from(Buffer.from(userHandleOf(user.id), 'base64url')),
        challenge: await newChallenge(tx, 'webauthn_register', user.id),
        timeout: CHALLENGE_TTL_SECONDS * 1000,
        attestationType: 'none',
        // The same authenticator registered twice would be one factor counted as two.
        excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: knownTransports(c.transports) })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      });
    },

    async verifyRegistration(tx: Tx, userId: string, response: RegistrationResponseJSON, name: string): Promise<PasskeyView | null> {
      const challenge = claimedChallenge(response.response.clientDataJSON);
      if (!challenge) return refuse('unreadable client data', { userId });
      // Confined to this user's challenges: options fetched in one account cannot enrol a key
      // into another, and another user cannot spend this user's challenge.
      const consumed = await repo.consumeChallenge(tx, 'webauthn_register', sha256(challenge), userId);
      if (!consumed) return refuse('unknown, spent or expired registration challenge', { userId });
      let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo'];
      try {
        const result = await verifyRegistrationResponse({
          response,
          expectedChallenge: consumed.challenge,
          // Origin and RP ID stop a phishing site from relaying a ceremony run on its own domain.
          expectedOrigin: rp.origin,
          expectedRPID: rp.id,
          requireUserVerification: false,
        });
        info = result.verified ? result.registrationInfo : undefined;
      } catch (error) {
        return refuse('registration response invalid', { userId, error: (error as Error).message });
      }
      if (!info) return refuse('registration not verified', { userId });
      const { credential } = info;
      if (credential.publicKey.length > MAX_PUBLIC_KEY_BYTES || credential.id.length > 1400) {
        return refuse('credential too large', { userId });
      }
      const row = await repo.insert(tx, {
        userId,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey),
        signCount: credential.counter,
        transports: knownTransports(response.response.transports),
        name,
      });
      return row ? presentPasskey(row) : refuse('credential already registered', { userId });
    },

    /**
     * With a user: a second factor, limited to their passkeys. Without: passwordless login with
     * a discoverable credential, where the authenticator says whose it is.
     */
    async authenticationOptions(tx: Tx, input: { userId?: string } = {}): Promise<{ options: PublicKeyCredentialRequestOptionsJSON }> {
      const allow = input.userId === undefined ? [] : await repo.listByUser(tx, input.userId);
      const options = await generateAuthenticationOptions({
        rpID: rp.id,
        challenge: await newChallenge(tx, 'webauthn_login', input.userId ?? null),
        timeout: CHALLENGE_TTL_SECONDS * 1000,
        allowCredentials: allow.map((c) => ({ id: c.credentialId, transports: knownTransports(c.transports) })),
        // Passwordless replaces password and second factor: the authenticator must verify its user.
        userVerification: input.userId === undefined ? 'required' : 'preferred',
      });
      return { options };
    },

    async verifyAuthentication(
      tx: Tx,
      response: AuthenticationResponseJSON,
      input: { expectedUserId?: string } = {},
    ): Promise<PasskeyLogin | null> {
      const passwordless = input.expectedUserId === undefined;
      const challenge = claimedChallenge(response.response.clientDataJSON);
      if (!challenge) return refuse('unreadable client data');
      // Spent first, whatever follows: a replayed or concurrent copy of this assertion finds nothing.
      const consumed = await repo.consumeChallenge(tx, 'webauthn_login', sha256(challenge));
      if (!consumed) return refuse('unknown, spent or expired login challenge');
      // A challenge serves the flow it was issued for: a second-factor challenge (bound to a
      // user who passed their password) is not a passwordless one, nor one for another user.
      if (consumed.userId !== (input.expectedUserId ?? null)) return refuse('challenge issued for another flow or user');
      const stored = await repo.findByCredentialId(tx, response.id);
      if (!stored) return refuse('unknown credential');
      // Someone else's passkey cannot answer a challenge issued to this user.
      if (consumed.userId !== null && stored.userId !== consumed.userId) return refuse('credential of another user');
      // The handle the authenticator stores with a discoverable credential must name its owner.
      const handle = response.response.userHandle;
      if ((passwordless && !handle) || (handle && handle !== userHandleOf(stored.userId))) {
        return refuse('user handle does not match the credential', { userId: stored.userId });
      }
      let info: Awaited<ReturnType<typeof verifyAuthenticationResponse>>['authenticationInfo'];
      try {
        const result = await verifyAuthenticationResponse({
          response,
          expectedChallenge: consumed.challenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.id,
          // The counter is checked below, once the signature proves the assertion genuine.
          credential: { id: stored.credentialId, publicKey: Uint8Array.from(stored.publicKey), counter: 0 },
          requireUserVerification: passwordless,
        });
        if (!result.verified) return refuse('assertion not verified', { userId: stored.userId });
        info = result.authenticationInfo;
      } catch (error) {
        return refuse('assertion invalid', { userId: stored.userId, error: (error as Error).message });
      }
      if (passwordless && !info.userVerified) return refuse('user not verified', { userId: stored.userId });
      const counter = info.newCounter;
      // A genuine signature with a counter that did not move forward means two authenticators
      // hold this key: the credential was cloned (WebAuthn §6.1.1).
      if ((counter > 0 || stored.signCount > 0) && counter <= stored.signCount) {
        logger.warn(
          { userId: stored.userId, passkeyId: stored.id, storedCount: stored.signCount, receivedCount: counter },
          'passkey signature counter went backwards: possibly a cloned authenticator',
        );
        return null;
      }
      if (!(await repo.recordUse(tx, stored.id, counter))) return refuse('counter raced', { userId: stored.userId });
      return { userId: stored.userId, passkeyId: stored.id, credentialId: stored.credentialId, userVerified: info.userVerified };
    },

    async list(tx: Tx, userId: string): Promise<PasskeyView[]> {
      return (await repo.listByUser(tx, userId)).map(presentPasskey);
    },

    async rename(tx: Tx, userId: string, passkeyId: string, name: string): Promise<PasskeyView> {
      const row = await repo.rename(tx, userId, passkeyId, name);
      if (!row) throw passkeyError('PASSKEY_NOT_FOUND');
      return presentPasskey(row);
    },

    /** Another user's passkey answers "not found", like one that does not exist. */
    async remove(tx: Tx, userId: string, passkeyId: string): Promise<PasskeyView> {
      const row = await repo.remove(tx, userId, passkeyId);
      if (!row) throw passkeyError('PASSKEY_NOT_FOUND');
      return presentPasskey(row);
    },
  };
}
