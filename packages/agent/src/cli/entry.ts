import { createInterface } from 'node:readline/promises';
import { runCli } from './main.ts';

/**
 * The process around `runCli`: signals, the terminal, the exit code. `run` stops cleanly on the
 * first SIGTERM/SIGINT (between steps); a second one ends the process at once.
 */
const controller = new AbortController();
const argv = process.argv.slice(2);
if (argv[0] === 'run') {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (controller.signal.aborted) process.exit(130);
      controller.abort();
    });
  }
}

async function confirm(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(question)).trim());
  } finally {
    terminal.close();
  }
}

// No top-level await: the single executable runs this file as CommonJS, which has none.
void runCli(argv, {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
  ...(process.stdin.isTTY ? { confirm } : {}),
}).then((code) => {
  process.exitCode = code;
});
