import { spawn } from 'node:child_process';

export interface RunOutput {
  /** null when the process was killed (timeout) or could not start. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs one fixed argv, never through a shell, killed at the timeout. */
export type Runner = (argv: readonly string[], timeoutMs: number) => Promise<RunOutput>;

/**
 * The real runner: `spawn` with `shell: false`, so no argument is ever interpreted, in its own
 * process group so a timeout kills the package manager and its children alike. Output is kept
 * only up to `keepChars` per stream: a command printing gigabytes cannot exhaust the agent.
 */
export function processRunner(keepChars: number): Runner {
  return (argv, timeoutMs) =>
    new Promise((resolve) => {
      const [command, ...args] = argv;
      if (!command) return resolve({ exitCode: null, stdout: '', stderr: 'no command', timedOut: false });
      const child = spawn(command, args, {
        shell: false,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
      });
      const out = { stdout: '', stderr: '' };
      const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
        if (out[stream].length <= keepChars) out[stream] += chunk.toString('utf8');
      };
      child.stdout?.on('data', collect('stdout'));
      child.stderr?.on('data', collect('stderr'));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, timeoutMs);
      let settled = false;
      const finish = (exitCode: number | null, extra = '') => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ exitCode: timedOut ? null : exitCode, stdout: out.stdout, stderr: out.stderr + extra, timedOut });
      };
      child.on('error', (error) => finish(null, `${out.stderr ? '\n' : ''}could not start ${command}: ${error.message}`));
      child.on('close', (code) => finish(code));
    });
}
