import type { Config } from '../../config/config.ts';
import type { Logger } from '../../logger.ts';
import type { KeyPurpose } from './key-material.ts';
import { type KeyEntry, type Keyring, loadKeyring } from './keyring.ts';

/** How often a running server rereads the key files, so `vigil keys rotate` needs no restart. */
const RELOAD_INTERVAL_MS = 60_000;
/** An unknown key id triggers a reread at most this often (another process may have rotated). */
const UNKNOWN_KID_RELOAD_MS = 5_000;

/**
 * The keyring a long-running process uses: loaded once at start, reread every minute and when a
 * token names a key id this process has not seen yet. After `vigil keys rotate jwt` every process
 * picks the new active key within a minute, and verifies tokens another process signed with it at
 * once; after `vigil keys retire`, the retired key stops verifying within a minute.
 */
export interface KeyringSource {
  current(): Keyring;
  /** A verifying key by id, rereading the files once if the id is new to this process. */
  keyById(purpose: KeyPurpose, kid: string): KeyEntry | undefined;
  reload(): void;
}

export function staticKeyringSource(keyring: Keyring): KeyringSource {
  return { current: () => keyring, keyById: (purpose, kid) => keyring.byId(purpose, kid), reload: () => {} };
}

export function createKeyringSource(
  config: Pick<Config, 'keys'>,
  logger: Pick<Logger, 'warn' | 'error'>,
  now: () => number = Date.now,
): KeyringSource {
  let keyring = loadKeyring(config, logger);
  let loadedAt = now();
  let lastUnknownReload = 0;
  const reload = () => {
    try {
      keyring = loadKeyring(config, logger);
    } catch (error) {
      // Keep serving with the keys we have: a half-written or damaged file must not take auth down.
      logger.error({ err: error }, 'could not reload the keyring; keeping the keys already loaded');
    }
    loadedAt = now();
  };
  const fresh = () => {
    if (now() - loadedAt >= RELOAD_INTERVAL_MS) reload();
    return keyring;
  };
  return {
    current: fresh,
    keyById(purpose, kid) {
      const found = fresh().byId(purpose, kid);
      if (found || now() - lastUnknownReload < UNKNOWN_KID_RELOAD_MS) return found;
      lastUnknownReload = now();
      reload();
      return keyring.byId(purpose, kid);
    },
    reload,
  };
}
