import { randomBytes } from 'node:crypto';
import {
  ACTION_KEY_SET_SCHEMA,
  ACTION_SCHEMA,
  type ActionKey,
  type ActionPayload,
  type Envelope,
  type SignedActionKeySet,
  sealActionKeySet,
  sealEnvelope,
  trustedKeyOf,
} from '@vigil/protocol';
import type { Keyring } from '../../lib/keys/index.ts';
import type { ActionRow } from './actions.table.ts';

/** 128 random bits: the agent runs an action's nonce at most once. */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Signs an approved action with the active `action` key. The payload names the one server it is
 * for, its run deadline and its nonce, so the agent can refuse it on another machine, after the
 * deadline, or a second time, whatever reaches it on the way.
 */
export function signAction(
  keyring: Keyring,
  row: Pick<ActionRow, 'id' | 'assetId' | 'command' | 'nonce' | 'timeoutSeconds'>,
  issuedAt: Date,
  expiresAt: Date,
): Envelope {
  const payload: ActionPayload = {
    schema: ACTION_SCHEMA,
    actionId: row.id,
    assetId: row.assetId,
    command: row.command,
    issuedAt: issuedAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    nonce: row.nonce,
    timeoutSeconds: row.timeoutSeconds,
  };
  const key = keyring.active('action');
  return sealEnvelope(payload, key.kid, key.key);
}

/**
 * The public halves of the action keys an agent should trust: the active key first, then the
 * verify-only ones (so actions signed just before a rotation still verify). For the enroll and
 * check-in answers.
 */
export function actionKeys(keyring: Keyring): ActionKey[] {
  // The protocol carries at most 8 keys; more verify-only keys than that is a rotation left unfinished.
  return usableActionKeys(keyring).map((entry) => {
    if (!entry.publicKey) throw new Error('an action key without its public half');
    return trustedKeyOf(entry.kid, entry.publicKey);
  });
}

function usableActionKeys(keyring: Keyring) {
  return keyring.verifying('action').slice(0, 8);
}

/**
 * The action keys for a check-in answer, as a statement signed by EVERY usable action key
 * (active and verify-only). An agent adopts a set only when a key it already trusts signed it, so
 * whoever can answer a check-in (a TLS-terminating proxy, a MITM under --insecure-http) cannot
 * swap the keys; and since the old key signs the set that introduces the new one, an agent that
 * trusts only the old key still follows a rotation. Bound to one server and time-stamped, so a
 * set cannot be moved to another server or replayed over a newer one.
 */
export function signActionKeySet(keyring: Keyring, assetId: string, issuedAt: Date): SignedActionKeySet {
  const signers = usableActionKeys(keyring).map((entry) => ({ kid: entry.kid, privateKey: entry.key }));
  return sealActionKeySet({ schema: ACTION_KEY_SET_SCHEMA, assetId, keys: actionKeys(keyring), issuedAt: issuedAt.toISOString() }, signers);
}
