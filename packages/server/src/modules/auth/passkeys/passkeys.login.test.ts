import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories } from '../../../../test/helpers/factories.ts';
import type { SoftwareAuthenticator } from '../../../../test/helpers/software-authenticator.ts';
import { createPasskeyKit, type PasskeyKit } from './passkeys.test-kit.ts';

/**
 * Logging in with a passkey, passwordless and as a second factor, and every way an attacker
 * could try to get an assertion accepted that should not be: all answer null, none throws.
 */
let kit: PasskeyKit;
let f: Factories;

beforeAll(async () => {
  kit = await createPasskeyKit();
  f = createFactories(kit.db);
});
afterAll(() => kit?.t.destroy());

async function enrolled(o: { userVerification?: boolean } = {}): Promise<{ userId: string; auth: SoftwareAuthenticator }> {
  const user = await f.user();
  const { auth, passkey } = await kit.enrol(user, kit.authenticator(o));
  expect(passkey).not.toBeNull();
  return { userId: user.id, auth };
}

describe('passwordless login', () => {
  it('signs in with a discoverable credential and records its use', async () => {
    const { userId, auth } = await enrolled();
    const options = await kit.loginOptions();
    expect(options.allowCredentials).toEqual([]);
    expect(options.userVerification).toBe('required');
    const login = await kit.verify(auth.assert(options));
    expect(login).toMatchObject({ userId, credentialId: auth.id, userVerified: true });
    const row = await kit.storedCredential(auth.id);
    expect(row?.signCount).toBe(1);
    expect(row?.lastUsedAt).toBeInstanceOf(Date);
  });

  it('refuses an authenticator that did not verify its user', async () => {
    const { auth } = await enrolled({ userVerification: false });
    expect(await kit.login(auth)).toBeNull();
  });

  it('refuses an assertion without a user handle, or with a user handle of someone else', async () => {
    const { auth } = await enrolled();
    expect(await kit.login(auth, { omitUserHandle: true })).toBeNull();
    const other = await enrolled();
    const response = auth.assert(await kit.loginOptions());
    const forged = {
      ...response,
      response: { ...response.response, userHandle: other.auth.assert(await kit.loginOptions()).response.userHandle },
    };
    expect(await kit.verify(forged)).toBeNull();
  });

  it('refuses a second-factor challenge (bound to a user) presented as a passwordless one', async () => {
    const { userId, auth } = await enrolled();
    expect(await kit.verify(auth.assert(await kit.loginOptions(userId)))).toBeNull();
  });
});

describe('second factor', () => {
  it("offers the user's own credentials and accepts an assertion without user verification", async () => {
    const { userId, auth } = await enrolled({ userVerification: false });
    const options = await kit.loginOptions(userId);
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([auth.id]);
    expect(await kit.verify(auth.assert(options), userId)).toMatchObject({ userId, userVerified: false });
  });

  it("refuses a challenge issued for user A answered by B's credential", async () => {
    const a = await enrolled();
    const b = await enrolled();
    expect(await kit.verify(b.auth.assert(await kit.loginOptions(a.userId)), a.userId)).toBeNull();
    // …and B cannot claim A's challenge for B either.
    expect(await kit.verify(b.auth.assert(await kit.loginOptions(a.userId)), b.userId)).toBeNull();
  });

  it('refuses a passwordless challenge presented as a second factor', async () => {
    const { userId, auth } = await enrolled();
    expect(await kit.verify(auth.assert(await kit.loginOptions()), userId)).toBeNull();
  });
});

describe('forged and replayed assertions', () => {
  it.each([
    ['a foreign origin (phishing relay)', { origin: 'https://vigil-example.test' }],
    ['a foreign RP ID hash', { rpId: 'example.test' }],
    ['a bad signature', { corruptSignature: true }],
    ['a registration type', { type: 'webauthn.create' }],
    ['no user presence', { userPresent: false }],
  ])('refuses %s', async (_name, overrides) => {
    const { auth } = await enrolled();
    expect(await kit.login(auth, overrides)).toBeNull();
    // The refusal spent nothing but the challenge: the genuine next login works.
    expect(await kit.login(auth)).not.toBeNull();
  });

  // Counter 0 throughout (as synced passkeys report): the counter cannot catch these replays,
  // only the single-use challenge can.
  it('accepts an assertion once (the same challenge twice is a replay)', async () => {
    const { auth } = await enrolled();
    const response = auth.assert(await kit.loginOptions(), { signCount: 0 });
    expect(await kit.verify(response)).not.toBeNull();
    expect(await kit.verify(response)).toBeNull();
  });

  it('refuses an expired challenge', async () => {
    const { auth } = await enrolled();
    const options = await kit.loginOptions();
    await kit.expireChallenges();
    expect(await kit.verify(auth.assert(options))).toBeNull();
  });

  it('refuses an unknown credential', async () => {
    await enrolled();
    const stranger = kit.authenticator();
    stranger.register({ ...(await kit.registrationOptions(await f.user())) }); // never verified, so never stored
    expect(await kit.login(stranger)).toBeNull();
  });

  it('refuses a challenge the server never issued', async () => {
    const { auth } = await enrolled();
    const options = await kit.loginOptions();
    expect(await kit.verify(auth.assert(options, { challenge: Buffer.alloc(32, 7).toString('base64url') }))).toBeNull();
  });

  it('refuses a counter that went backwards and logs a cloned-authenticator warning', async () => {
    const { userId, auth } = await enrolled();
    for (let i = 0; i < 3; i++) expect(await kit.login(auth)).not.toBeNull();
    expect((await kit.storedCredential(auth.id))?.signCount).toBe(3);
    for (const signCount of [2, 3, 0]) {
      kit.logs.length = 0;
      expect(await kit.login(auth, { signCount })).toBeNull();
      expect(kit.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(/cloned/) }));
      expect(kit.logs[0]?.fields).toMatchObject({ userId, storedCount: 3, receivedCount: signCount });
    }
    expect((await kit.storedCredential(auth.id))?.signCount).toBe(3);
  });

  it('keeps accepting authenticators that keep no counter (always zero)', async () => {
    const { auth } = await enrolled();
    expect(await kit.login(auth, { signCount: 0 })).not.toBeNull();
    expect(await kit.login(auth, { signCount: 0 })).not.toBeNull();
  });

  it('50 concurrent verifications of one assertion: exactly one succeeds', async () => {
    const { userId, auth } = await enrolled();
    const response = auth.assert(await kit.loginOptions(), { signCount: 0 });
    const results = await Promise.all(Array.from({ length: 50 }, () => kit.verify(response)));
    expect(results.filter((r) => r?.userId === userId)).toHaveLength(1);
    expect(results.filter((r) => r === null)).toHaveLength(49);
  });

  it.each([
    ['client data that is not base64url JSON', { clientDataJSON: 'bm90IGpzb24' }],
    ['authenticator data too short to parse', { authenticatorData: 'AAAA' }],
    ['a signature that is not DER', { signature: 'AAAA' }],
  ])('answers null, not an exception, for %s', async (_name, replacement) => {
    const { auth } = await enrolled();
    const response = auth.assert(await kit.loginOptions());
    expect(await kit.verify({ ...response, response: { ...response.response, ...replacement } })).toBeNull();
  });
});
