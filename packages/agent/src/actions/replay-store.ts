import { readFileSync } from 'node:fs';
import { writeFileAtomically } from './files.ts';

/**
 * The nonces this agent has accepted, each kept until its action's run deadline: after that the
 * expiry check refuses the action anyway, so the file stays small. Persisted (0600, written to a
 * temporary file and renamed over the old one) so a restart does not reopen the door to a replay.
 * A damaged file is refused, not reset: forgetting every nonce is exactly what an attacker who
 * can corrupt the file would want.
 */
export interface ReplayStore {
  has(nonce: string): boolean;
  /** Records the nonce and writes the file before returning: call it before running the action. */
  remember(nonce: string, expiresAt: Date): void;
}

interface StoredNonces {
  version: 1;
  /** nonce → the action's run deadline (ISO). */
  nonces: Record<string, string>;
}

const MAX_NONCES = 10_000;

export class ReplayStoreError extends Error {
  override name = 'ReplayStoreError';
}

function read(file: string): StoredNonces {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, nonces: {} };
    throw new ReplayStoreError(`cannot read the replay store ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as StoredNonces;
    const entries = Object.entries(parsed?.nonces ?? {});
    if (parsed?.version !== 1 || typeof parsed.nonces !== 'object' || entries.some(([, at]) => typeof at !== 'string')) throw new Error();
    return { version: 1, nonces: Object.fromEntries(entries) };
  } catch {
    throw new ReplayStoreError(`the replay store ${file} is damaged; no action runs until it is repaired or removed by an administrator`);
  }
}

export function openReplayStore(file: string, now: () => Date): ReplayStore {
  const stored = read(file);
  // Prune what the expiry check refuses anyway.
  for (const [nonce, at] of Object.entries(stored.nonces)) {
    if (!(Date.parse(at) > now().getTime())) delete stored.nonces[nonce];
  }
  return {
    has: (nonce) => Object.hasOwn(stored.nonces, nonce),
    remember(nonce, expiresAt) {
      if (Object.keys(stored.nonces).length >= MAX_NONCES) throw new ReplayStoreError('the replay store is full');
      stored.nonces[nonce] = expiresAt.toISOString();
      writeFileAtomically(file, `${JSON.stringify(stored)}\n`, 0o600);
    },
  };
}
