import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ReleasePlatform } from '@vigil/protocol';

/**
 * Set by build.mjs (esbuild `define`): 'script' in the bundled dist/vigil-agent.mjs, 'sea' in the
 * script inside the single executable. Undeclared when the sources run under tsx.
 */
declare const __VIGIL_BUNDLE__: 'script' | 'sea';

/** How this agent was built: the file self-update replaces, and the release platform it asks for. */
export interface SelfImage {
  path: string;
  platform: ReleasePlatform;
}

export interface SelfImageFacts {
  bundle: 'script' | 'sea' | null;
  /** `node:sea`'s isSea(): the script really runs inside an executable, not as a loose file. */
  runningAsSea: boolean;
  execPath: string;
  /** The bundle's own file; only asked for a script bundle (import.meta means nothing in a SEA). */
  scriptPath: () => string;
  os: NodeJS.Platform;
  arch: string;
}

/** The executables releases exist for (protocol RELEASE_PLATFORMS), by Node's os and arch names. */
const EXECUTABLE_PLATFORMS: Readonly<Record<string, ReleasePlatform>> = { 'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64' };

/**
 * Null means "never self-update": from the sources (a development checkout must not have a
 * TypeScript file overwritten by a release), and from an executable whose platform has no
 * releases or that is not running as one (installing the script bundle over a Node binary, or a
 * binary over a script, would leave an agent that cannot start).
 */
export function resolveSelfImage(facts: SelfImageFacts): SelfImage | null {
  if (facts.bundle === 'script') return { path: facts.scriptPath(), platform: 'node' };
  if (facts.bundle !== 'sea' || !facts.runningAsSea) return null;
  const platform = EXECUTABLE_PLATFORMS[`${facts.os}-${facts.arch}`];
  // In a single executable the agent's code lives inside the Node binary: that binary is the file.
  return platform ? { path: facts.execPath, platform } : null;
}

/** False where `node:sea` does not exist (Node < 20.12, so never inside one of our executables). */
export function runningAsSea(): boolean {
  try {
    const sea = createRequire(process.execPath)('node:sea') as { isSea?: () => boolean };
    return sea.isSea?.() === true;
  } catch {
    return false;
  }
}

export function selfImage(): SelfImage | null {
  const bundle = typeof __VIGIL_BUNDLE__ === 'undefined' ? null : __VIGIL_BUNDLE__;
  return resolveSelfImage({
    bundle,
    runningAsSea: bundle === 'sea' && runningAsSea(),
    execPath: process.execPath,
    scriptPath: () => fileURLToPath(import.meta.url),
    os: process.platform,
    arch: process.arch,
  });
}
