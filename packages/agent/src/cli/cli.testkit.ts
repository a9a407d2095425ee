// Test support (not bundled): runs `vigil-agent` commands in-process against temp directories.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectFn } from '../run/collector.ts';
import type { RunHooks } from '../run/hooks.ts';
import { runCli } from './main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AgentSandbox {
  base: string;
  configDir: string;
  stateDir: string;
  root: string;
  systemdUnit: string;
  cli(
    argv: string[],
    options?: { collect?: CollectFn; hooks?: RunHooks; env?: Record<string, string>; signal?: AbortSignal },
  ): Promise<CliRun>;
  cleanup(): Promise<void>;
}

export async function createAgentSandbox(): Promise<AgentSandbox> {
  const base = await mkdtemp(join(tmpdir(), 'vigil-agent-cli-'));
  const sandbox: AgentSandbox = {
    base,
    configDir: join(base, 'etc', 'vigil-agent'),
    stateDir: join(base, 'var', 'lib', 'vigil-agent'),
    root: join(base, 'root'),
    systemdUnit: join(base, 'systemd', 'vigil-agent.service'),
    async cli(argv, options = {}) {
      let stdout = '';
      let stderr = '';
      const code = await runCli(argv, {
        env: {
          VIGIL_AGENT_CONFIG_DIR: sandbox.configDir,
          VIGIL_AGENT_STATE_DIR: sandbox.stateDir,
          VIGIL_AGENT_SYSTEMD_UNIT: sandbox.systemdUnit,
          PATH: join(base, 'no-tools'),
          ...options.env,
        },
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
        signal: options.signal ?? new AbortController().signal,
        ...(options.collect ? { collect: options.collect } : {}),
        hooks: options.hooks ?? {},
      });
      return { code, stdout, stderr };
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
  await mkdir(sandbox.root, { recursive: true });
  return sandbox;
}
