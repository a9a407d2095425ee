import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, lstatSync, openSync, rmSync } from 'node:fs';

/** A FIFO at `path`, made with the real mkfifo(1). */
export function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/**
 * A hostile user of the machine: a shell loop that keeps renaming, over `file`, a copy of the
 * regular file `regular` and then `replacement` (a fresh FIFO, or a symlink to `target`), so a
 * reader that checks the type and then opens by name loses the race sooner or later.
 * `stop()` ends the loop and frees a reader left blocked on a FIFO (by opening it for writing),
 * so a test that failed does not hang its worker.
 */
const running = new Set<{ stop(): void }>();

/** Stops every swapper still running: for afterEach, which runs even when a test timed out. */
export function stopSwappers(): void {
  for (const swapper of running) swapper.stop();
}

export function startSwapper(file: string, regular: string, replacement: { fifo: true } | { symlinkTo: string }): { stop(): void } {
  const q = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  const make = 'fifo' in replacement ? `mkfifo ${q(`${file}.alt`)}` : `ln -s ${q(replacement.symlinkTo)} ${q(`${file}.alt`)}`;
  const loop = `while :; do cp ${q(regular)} ${q(`${file}.reg`)}; mv -f ${q(`${file}.reg`)} ${q(file)}; rm -f ${q(`${file}.alt`)}; ${make}; mv -f ${q(`${file}.alt`)} ${q(file)}; done`;
  const child: ChildProcess = spawn('sh', ['-c', loop], { stdio: 'ignore' });
  const swapper = {
    stop() {
      running.delete(swapper);
      child.kill('SIGKILL');
      for (let i = 0; i < 5; i++) {
        try {
          if (!lstatSync(file).isFIFO()) break;
          // Succeeds only when a reader is waiting on the FIFO, which it then releases with EOF.
          closeSync(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          break;
        }
      }
      rmSync(file, { force: true });
    },
  };
  running.add(swapper);
  return swapper;
}
