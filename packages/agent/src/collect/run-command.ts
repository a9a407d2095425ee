import { execFile } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** The exit code; null when the process was killed (timeout, output too large). */
  code: number | null;
}

/**
 * Runs a program without a shell (arguments are never interpreted), with a timeout and a bounded
 * output. Rejects with an error whose `code` is 'ENOENT' when the program is not on PATH.
 */
export type RunCommand = (
  file: string,
  args: readonly string[],
  options?: { timeoutMs?: number; maxBytes?: number },
) => Promise<CommandResult>;

export const runCommand: RunCommand = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      {
        shell: false,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: options.maxBytes ?? 64 * 1024 * 1024,
        encoding: 'utf8',
        // A fixed, minimal environment: the output must not depend on the agent's locale.
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(error);
          return;
        }
        if (error && typeof error.code !== 'number') {
          // Killed (timeout) or output over maxBuffer: not a result to parse.
          reject(new Error(`${file}: ${error.killed ? 'timed out' : error.message}`));
          return;
        }
        resolve({ stdout, stderr, code: error ? (error.code as unknown as number) : 0 });
      },
    );
  });
