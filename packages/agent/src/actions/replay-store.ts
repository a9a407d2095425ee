import { readFileSync } from 'node:fs';
import { type ActionResult, actionResultSchema } from '@vigil/protocol';
import { z } from 'zod';
import { writeFileAtomically } from './files.ts';

/**
 * The nonces this agent has accepted, each kept until its action's run deadline: after that the
 * expiry check refuses the action anyway, so the file stays small. Persisted (0600, written to a
 * temporary file and renamed over the old one) so a restart does not reopen the door to a replay.
 * A damaged file is refused, not reset: forgetting every nonce is exactly what an attacker who
 * can corrupt the file would want.
 *
 * The result of an action that ran is kept beside its nonce until the server has taken it: the
 * server delivers the action again while it holds no result, and the agent must then send the
 * result it already has (never run the action again, never call it a replay it refused).
 */
export interface ReplayStore {
  has(nonce: string): boolean;
  /** Records the nonce and writes the file before returning: call it before running the action. */
  remember(nonce: string, expiresAt: Date): void;
  /** Keeps the result of the action with this (remembered) nonce until `reported` is called. */
  keepResult(nonce: string, actionId: string, result: ActionResult): void;
  /** The result kept for this nonce and action, when the server has not taken it yet. */
  unreported(nonce: string, actionId: string): ActionResult | undefined;
  /** The server took the result: it need not be kept any longer. */
  reported(nonce: string): void;
}

const MAX_NONCES = 10_000;
/**
 * Results waiting for the server. Each is capped by the protocol (2 × 64 K characters of output):
 * the file stays a few MB at most. Past this, a result is sent once and not kept.
 */
export const MAX_KEPT_RESULTS = 50;

const storedSchema = z.strictObject({
  version: z.literal(1),
  /** nonce → the action's run deadline (ISO). */
  nonces: z.record(z.string(), z.string()),
  /** nonce → the result not yet taken by the server (absent in files written before results were kept). */
  results: z.record(z.string(), z.strictObject({ actionId: z.string(), result: actionResultSchema })).optional(),
});
type StoredNonces = z.infer<typeof storedSchema> & { results: NonNullable<z.infer<typeof storedSchema>['results']> };

export class ReplayStoreError extends Error {
  override name = 'ReplayStoreError';
}

function read(file: string): StoredNonces {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, nonces: {}, results: {} };
    throw new ReplayStoreError(`cannot read the replay store ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = storedSchema.safeParse(json);
  if (!parsed.success) {
    throw new ReplayStoreError(`the replay store ${file} is damaged; no action runs until it is repaired or removed by an administrator`);
  }
  return { ...parsed.data, results: parsed.data.results ?? {} };
}

export function openReplayStore(file: string, now: () => Date): ReplayStore {
  const stored = read(file);
  // Prune what the expiry check refuses anyway, and the results of those actions with them: the
  // server has expired them too and takes no result for them any more.
  for (const [nonce, at] of Object.entries(stored.nonces)) {
    if (!(Date.parse(at) > now().getTime())) delete stored.nonces[nonce];
  }
  for (const nonce of Object.keys(stored.results)) {
    if (!Object.hasOwn(stored.nonces, nonce)) delete stored.results[nonce];
  }
  const write = () => writeFileAtomically(file, `${JSON.stringify(stored)}\n`, 0o600);
  return {
    has: (nonce) => Object.hasOwn(stored.nonces, nonce),
    remember(nonce, expiresAt) {
      if (Object.keys(stored.nonces).length >= MAX_NONCES) throw new ReplayStoreError('the replay store is full');
      stored.nonces[nonce] = expiresAt.toISOString();
      write();
    },
    keepResult(nonce, actionId, result) {
      if (!Object.hasOwn(stored.nonces, nonce)) throw new ReplayStoreError('a result for a nonce that was never recorded');
      if (Object.keys(stored.results).length >= MAX_KEPT_RESULTS) throw new ReplayStoreError('too many results waiting for the server');
      stored.results[nonce] = { actionId, result };
      write();
    },
    unreported(nonce, actionId) {
      const kept = Object.hasOwn(stored.results, nonce) ? stored.results[nonce] : undefined;
      // Keyed by the nonce, checked against the action id too: a result is only ever sent for the
      // action that produced it.
      return kept?.actionId === actionId ? kept.result : undefined;
    },
    reported(nonce) {
      if (!Object.hasOwn(stored.results, nonce)) return;
      delete stored.results[nonce];
      write();
    },
  };
}
