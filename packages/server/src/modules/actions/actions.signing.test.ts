import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { ACTION_KEY_SET_SCHEMA, EnvelopeError, openActionKeySet, type SignedActionKeySet, trustedKeyOf } from '@vigil/protocol';
import { describe, expect, it } from 'vitest';
import { createEphemeralKeyring, createKeyring, type KeyEntry } from '../../lib/keys/index.ts';
import { actionKeys, signActionKeySet } from './actions.signing.ts';

/** The ephemeral keyring with its action key rotated: a new active key, the old one verify-only. */
function rotated() {
  const before = createEphemeralKeyring();
  const old = before.active('action');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const fresh: KeyEntry = { ...old, kid: 'action-new', key: privateKey, publicKey, status: 'active' };
  const others = (['jwt', 'mfa', 'credentials', 'report'] as const).map((purpose) => before.active(purpose));
  const after = createKeyring([...others, fresh, { ...old, status: 'verify-only' }]);
  return { before, after, oldTrusted: actionKeys(before) };
}

describe('the signed action key set of a check-in answer', () => {
  it('is signed by every usable action key, for one server, with the keys and the time', () => {
    const { after, oldTrusted } = rotated();
    const assetId = randomUUID();
    const at = new Date('2026-11-22T12:00:00.000Z');
    const set = signActionKeySet(after, assetId, at);
    expect(set.signatures.map((s) => s.kid)).toEqual(['action-new', oldTrusted[0]?.kid]);
    // An agent that still trusts only the old key verifies the rotation to the new one…
    expect(openActionKeySet(set, oldTrusted)).toEqual({
      schema: ACTION_KEY_SET_SCHEMA,
      assetId,
      keys: actionKeys(after),
      issuedAt: at.toISOString(),
    });
    // …and one that trusts only the new key verifies it too.
    expect(openActionKeySet(set, actionKeys(after).slice(0, 1)).keys.map((k) => k.kid)).toEqual(['action-new', oldTrusted[0]?.kid]);
  });

  it('does not open with a key that signed none of it, or when the payload was changed', () => {
    const { after } = rotated();
    const set = signActionKeySet(after, randomUUID(), new Date());
    const stranger = trustedKeyOf(after.active('action').kid, generateKeyPairSync('ed25519').publicKey);
    expect(() => openActionKeySet(set, [stranger])).toThrow(EnvelopeError);
    const forged: SignedActionKeySet = { ...set, payload: Buffer.from('{"schema":"vigil.action-keys/1"}').toString('base64url') };
    expect(() => openActionKeySet(forged, actionKeys(after))).toThrow(/signature/);
  });
});
