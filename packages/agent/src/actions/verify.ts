import { type ActionPayload, actionPayloadSchema, EnvelopeError, openEnvelope, type SignedAction, type TrustedKey } from '@vigil/protocol';
import type { ReplayStore } from './replay-store.ts';

/** How far the server's clock may run ahead of ours when it signs (issuedAt only; never expiry). */
export const ISSUED_AT_SKEW_MS = 60_000;

/**
 * `replayOf` is set when the only thing wrong is a nonce already used here: the payload passed
 * every other check, so the caller may send the result it kept for it (see ReplayStore).
 */
export type Verdict = { ok: true; payload: ActionPayload } | { ok: false; refusal: string; replayOf?: ActionPayload };

/**
 * Every check an action must pass before anything runs, in order: the signature by a pinned key
 * (so nothing below reads an unsigned byte), the target (an action for another server is refused
 * even though the server signed it: a stolen envelope must not run elsewhere), the time window
 * (an old approval must not run months later), and the nonce (a captured action must not run twice).
 */
export function verifyAction(
  signed: SignedAction,
  deps: { trustedKeys: readonly TrustedKey[]; assetId: string; now: Date; replay: ReplayStore },
): Verdict {
  let payload: ActionPayload;
  try {
    payload = openEnvelope(signed, deps.trustedKeys, actionPayloadSchema);
  } catch (error) {
    if (error instanceof EnvelopeError) return { ok: false, refusal: `${error.reason}: ${error.message}` };
    throw error;
  }
  if (payload.assetId !== deps.assetId) return { ok: false, refusal: `the action is for another server (${payload.assetId})` };
  const now = deps.now.getTime();
  const issuedAt = Date.parse(payload.issuedAt);
  const expiresAt = Date.parse(payload.expiresAt);
  if (issuedAt > now + ISSUED_AT_SKEW_MS) return { ok: false, refusal: `the action was issued in the future (${payload.issuedAt})` };
  if (!(expiresAt > now)) return { ok: false, refusal: `the action expired at ${payload.expiresAt}` };
  if (!(expiresAt > issuedAt)) return { ok: false, refusal: 'the action expires before it was issued' };
  if (deps.replay.has(payload.nonce)) {
    return { ok: false, refusal: 'the action’s nonce was already used here: a replay; not run again', replayOf: payload };
  }
  return { ok: true, payload };
}

/**
 * The action id and nonce from a payload whose signature did NOT verify, only so the refusal can
 * be reported against the right action. Nothing read here is trusted: it decides no check and
 * runs nothing. A forged payload can at worst make us report a refusal for another action of
 * this server, which the server accepts only with that action's nonce.
 */
export function peekUnverified(signed: { payload?: unknown }): { actionId: string; nonce?: string } | null {
  try {
    if (typeof signed.payload !== 'string' || signed.payload.length > 64 * 1024) return null;
    const value = JSON.parse(Buffer.from(signed.payload, 'base64url').toString('utf8')) as { actionId?: unknown; nonce?: unknown };
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (typeof value?.actionId !== 'string' || !uuid.test(value.actionId)) return null;
    const nonce = typeof value.nonce === 'string' && /^[A-Za-z0-9_-]{22,64}$/.test(value.nonce) ? value.nonce : undefined;
    return nonce ? { actionId: value.actionId, nonce } : { actionId: value.actionId };
  } catch {
    return null;
  }
}
