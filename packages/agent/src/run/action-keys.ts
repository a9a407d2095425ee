import { type ActionKeySetPayload, canonicalJson, EnvelopeError, openActionKeySet, type SignedActionKeySet } from '@vigil/protocol';
import type { AgentConfig } from '../state/enrollment.ts';

export type KeySetVerdict =
  | { kind: 'unchanged' }
  | { kind: 'adopt'; payload: ActionKeySetPayload }
  /** `code` names the kind of problem: the same problem on every check-in is logged once. */
  | { kind: 'ignore'; code: EnvelopeError['reason'] | 'other_server' | 'replay'; reason: string };

/**
 * Whether to adopt the action keys a check-in answer carries. The keys decide what this root
 * agent runs, and whoever can answer a check-in (a TLS-terminating proxy, a MITM under
 * --insecure-http) could otherwise swap them and then serve "signed" actions. So a new set is
 * adopted only when a key trusted already signed it (the server signs with every usable key, so
 * the old key vouches for its successor), it is for this server (a set captured from another
 * server's answer does not move), and it is not older than the set held (a replayed answer cannot
 * bring back a retired key). The keys pinned at enrollment are trust on first use.
 */
export function judgeActionKeySet(
  set: SignedActionKeySet,
  config: Pick<AgentConfig, 'assetId' | 'actionKeys' | 'actionKeysIssuedAt'>,
): KeySetVerdict {
  let payload: ActionKeySetPayload;
  try {
    payload = openActionKeySet(set, config.actionKeys);
  } catch (error) {
    if (error instanceof EnvelopeError) return { kind: 'ignore', code: error.reason, reason: `${error.reason}: ${error.message}` };
    throw error;
  }
  if (payload.assetId !== config.assetId)
    return { kind: 'ignore', code: 'other_server', reason: `the key set is for another server (${payload.assetId})` };
  if (config.actionKeysIssuedAt && Date.parse(payload.issuedAt) < Date.parse(config.actionKeysIssuedAt)) {
    return {
      kind: 'ignore',
      code: 'replay',
      reason: `the key set was issued at ${payload.issuedAt}, before the one held (${config.actionKeysIssuedAt}): a replay`,
    };
  }
  if (canonicalJson(payload.keys) === canonicalJson(config.actionKeys)) return { kind: 'unchanged' };
  return { kind: 'adopt', payload };
}
