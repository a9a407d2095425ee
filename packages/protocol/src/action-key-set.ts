import type { KeyObject } from 'node:crypto';
import { type ActionKeySetPayload, actionKeySetPayloadSchema, type SignedActionKeySet } from './agent.ts';
import { EnvelopeError, openEnvelope, sealEnvelope, type TrustedKey } from './signed.ts';

/**
 * Signs one key set with each of `signers` (the server's active and verify-only action keys): the
 * same payload bytes, one Ed25519 signature per key, so whichever of them an agent trusts today
 * vouches for the set.
 */
export function sealActionKeySet(
  payload: ActionKeySetPayload,
  signers: ReadonlyArray<{ kid: string; privateKey: KeyObject }>,
): SignedActionKeySet {
  const [first, ...others] = signers;
  if (!first) throw new Error('a key set needs at least one signer');
  const sealed = sealEnvelope(payload, first.kid, first.privateKey);
  const signatures = [{ kid: sealed.kid, signature: sealed.signature }];
  for (const signer of others) {
    const again = sealEnvelope(payload, signer.kid, signer.privateKey);
    // JSON.stringify of the same object gives the same bytes; checked so that can never drift.
    if (again.payload !== sealed.payload) throw new Error('key set payloads differ between signers');
    signatures.push({ kid: again.kid, signature: again.signature });
  }
  return { payload: sealed.payload, signatures };
}

/**
 * The payload of a key set when at least one signature is by a key in `trusted` and verifies;
 * EnvelopeError otherwise (the last reason seen). Signatures by unknown keys are skipped, not
 * fatal: a rotation's set carries the new key's signature, which the agent cannot check yet.
 */
export function openActionKeySet(set: SignedActionKeySet, trusted: readonly TrustedKey[]): ActionKeySetPayload {
  let problem = new EnvelopeError('unknown_key', 'signed by no key this agent trusts');
  for (const { kid, signature } of set.signatures.slice(0, 8)) {
    try {
      return openEnvelope({ payload: set.payload, kid, signature }, trusted, actionKeySetPayloadSchema);
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      // A malformed payload under a valid signature is the most telling reason: keep it.
      if (problem.reason !== 'malformed' && error.reason !== 'unknown_key') problem = error;
    }
  }
  throw problem;
}
