import type { Inventory } from '@vigil/protocol';
import { AGENT_VERSION } from './agent-version.ts';

export interface CollectSettings {
  /** The directory standing for the machine's `/` ('/' on a real server). */
  root: string;
  /** Absent or empty: the collectors' defaults. */
  lockfilePaths?: readonly string[] | undefined;
  webRoots?: readonly string[] | undefined;
}

export type CollectFn = (settings: CollectSettings) => Promise<Inventory>;

/**
 * The one place the CLI and the run loop reach the collectors (src/collect). Loaded when first
 * used, so `version`, `status` and `uninstall` start without reading the collectors' code.
 */
export const collectWithCollectors: CollectFn = async (settings) => {
  const { collectInventory } = await import('../collect/index.ts');
  return collectInventory({
    root: settings.root,
    agentVersion: AGENT_VERSION,
    ...(settings.lockfilePaths?.length ? { lockfilePaths: [...settings.lockfilePaths] } : {}),
    ...(settings.webRoots?.length ? { webRoots: [...settings.webRoots] } : {}),
  });
};
