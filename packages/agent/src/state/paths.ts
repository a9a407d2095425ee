import { isAbsolute, join, resolve } from 'node:path';

export const DEFAULT_CONFIG_DIR = '/etc/vigil-agent';
export const DEFAULT_STATE_DIR = '/var/lib/vigil-agent';
export const DEFAULT_SYSTEMD_UNIT = '/etc/systemd/system/vigil-agent.service';

/** Where the agent keeps what it owns. Nothing outside these files is ever written or removed. */
export interface AgentPaths {
  configDir: string;
  stateDir: string;
  /** The bearer token, 0600. */
  token: string;
  /** Server URL, asset id, pinned action keys, collection settings. */
  config: string;
  /** Last check-in, last inventory sent, last error. */
  state: string;
  /** Held by a running `run` loop so that two never run at once. */
  pidFile: string;
  systemdUnit: string;
}

/**
 * State files other parts of the agent keep in the state directory: the actions runner's replay
 * guard (src/actions REPLAY_STORE_FILE) and the updater's probation and failed-release records
 * (src/update/pending.ts). `uninstall` removes exactly these and nothing else; a test pins them.
 */
export const OTHER_STATE_FILES = ['action-nonces.json', 'update-pending.json', 'update-failed.json'] as const;

export function agentPaths(options: { configDir?: string; stateDir?: string; systemdUnit?: string }): AgentPaths {
  const configDir = absolute(options.configDir ?? DEFAULT_CONFIG_DIR);
  const stateDir = absolute(options.stateDir ?? DEFAULT_STATE_DIR);
  return {
    configDir,
    stateDir,
    token: join(configDir, 'token'),
    config: join(configDir, 'agent.json'),
    state: join(stateDir, 'state.json'),
    pidFile: join(stateDir, 'run.pid'),
    systemdUnit: absolute(options.systemdUnit ?? DEFAULT_SYSTEMD_UNIT),
  };
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}
