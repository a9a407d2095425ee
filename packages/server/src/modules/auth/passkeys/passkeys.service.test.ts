import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories, type UserRow } from '../../../../test/helpers/factories.ts';
import { withSystem } from '../../../db/tenant.ts';
import { AppError } from '../../../lib/app-error.ts';
import { createPasskeyKit, type PasskeyKit, RP_ID } from './passkeys.test-kit.ts';

/**
 * Enrolment and login with a real software authenticator against the real service and
 * database: what a genuine user does works, and the same ceremony bent the way an attacker
 * would bend it is refused.
 */
let kit: PasskeyKit;
let f: Factories;
let alice: UserRow;

beforeAll(async () => {
  kit = await createPasskeyKit();
  f = createFactories(kit.db);
  alice = await f.user({ displayName: 'Alice' });
});
afterAll(() => kit?.t.destroy());

describe('registration', () => {
  it('asks for no attestation, prefers a discoverable, user-verifying key and excludes keys already enrolled', async () => {
    const user = await f.user();
    const first = await kit.registrationOptions(user);
    expect(first).toMatchObject({
      rp: { id: RP_ID, name: 'Vigil' },
      user: { name: user.email },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      excludeCredentials: [],
    });
    const { auth, passkey } = await kit.enrol(user);
    expect(passkey).toMatchObject({ name: 'Laptop', transports: ['internal', 'hybrid'], lastUsedAt: null });
    const second = await kit.registrationOptions(user);
    expect(second.excludeCredentials?.map((c) => c.id)).toEqual([auth.id]);
    expect(second.challenge).not.toBe(first.challenge);
  });

  it('stores the credential id, its public key and counter', async () => {
    const user = await f.user();
    const { auth } = await kit.enrol(user);
    const row = await kit.storedCredential(auth.id);
    expect(row).toMatchObject({ userId: user.id, credentialId: auth.id, signCount: 0, transports: ['internal', 'hybrid'] });
    // An uncompressed P-256 COSE key: 77 bytes.
    expect(row?.publicKey.length).toBe(77);
  });

  it('accepts a registration challenge once: a second authenticator answering the same options is refused', async () => {
    const user = await f.user();
    const options = await kit.registrationOptions(user);
    const answer = () => kit.authenticator().register(options);
    const once = (response: ReturnType<typeof answer>) =>
      withSystem(kit.db, (tx) => kit.service.verifyRegistration(tx, user.id, response, 'Key'));
    expect(await once(answer())).not.toBeNull();
    expect(await once(answer())).toBeNull();
    expect(await withSystem(kit.db, (tx) => kit.service.list(tx, user.id))).toHaveLength(1);
  });

  it('refuses options fetched for one account answered in another, without spending them', async () => {
    const user = await f.user();
    const options = await kit.registrationOptions(user);
    const response = kit.authenticator().register(options);
    expect(await withSystem(kit.db, (tx) => kit.service.verifyRegistration(tx, alice.id, response, 'Key'))).toBeNull();
    expect(await withSystem(kit.db, (tx) => kit.service.verifyRegistration(tx, user.id, response, 'Key'))).not.toBeNull();
  });

  it.each([
    ['a foreign origin', { origin: 'https://vigil.example.test.evil.example' }],
    ['a foreign RP ID hash', { rpId: 'evil.example' }],
    ['an assertion type', { type: 'webauthn.get' }],
    ['no user presence', { userPresent: false }],
  ])('refuses a registration with %s', async (_name, overrides) => {
    const user = await f.user();
    expect((await kit.enrol(user, kit.authenticator(), overrides)).passkey).toBeNull();
    expect(await withSystem(kit.db, (tx) => kit.service.list(tx, user.id))).toEqual([]);
  });

  it('refuses an expired registration challenge', async () => {
    const user = await f.user();
    const options = await kit.registrationOptions(user);
    await kit.expireChallenges();
    const response = kit.authenticator().register(options);
    expect(await withSystem(kit.db, (tx) => kit.service.verifyRegistration(tx, user.id, response, 'Key'))).toBeNull();
  });

  it('refuses a credential already enrolled, even by another user', async () => {
    const [a, b] = [await f.user(), await f.user()];
    const auth = kit.authenticator();
    expect((await kit.enrol(a, auth)).passkey).not.toBeNull();
    expect((await kit.enrol(b, auth)).passkey).toBeNull();
    expect((await kit.storedCredential(auth.id))?.userId).toBe(a.id);
  });

  it.each([
    ['client data that is not JSON', { clientDataJSON: Buffer.from('not json').toString('base64url') }],
    ['an attestation object that is not CBOR', { attestationObject: Buffer.from('garbage').toString('base64url') }],
  ])('answers null, not an exception, for %s', async (_name, replacement) => {
    const user = await f.user();
    const response = kit.authenticator().register(await kit.registrationOptions(user));
    const bent = { ...response, response: { ...response.response, ...replacement } };
    expect(await withSystem(kit.db, (tx) => kit.service.verifyRegistration(tx, user.id, bent, 'Key'))).toBeNull();
  });
});

describe('management', () => {
  it("renames and removes only the owner's passkeys; another user's answers not found", async () => {
    const [owner, other] = [await f.user(), await f.user()];
    const { passkey } = await kit.enrol(owner);
    const id = passkey?.id as string;
    const notFound = (p: Promise<unknown>) => expect(p).rejects.toSatisfy((e) => e instanceof AppError && e.code === 'PASSKEY_NOT_FOUND');
    await notFound(withSystem(kit.db, (tx) => kit.service.rename(tx, other.id, id, 'Mine now')));
    await notFound(withSystem(kit.db, (tx) => kit.service.remove(tx, other.id, id)));
    expect((await withSystem(kit.db, (tx) => kit.service.rename(tx, owner.id, id, 'Phone'))).name).toBe('Phone');
    expect((await withSystem(kit.db, (tx) => kit.service.remove(tx, owner.id, id))).id).toBe(id);
    expect(await withSystem(kit.db, (tx) => kit.service.list(tx, owner.id))).toEqual([]);
  });
});
