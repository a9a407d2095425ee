import type { CollectFn } from '../run/collector.ts';
import type { RunHooks } from '../run/hooks.ts';

export interface Output {
  write(text: string): unknown;
}

/** Everything a command touches outside its arguments, passed in so tests run it in-process. */
export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  stdout: Output;
  stderr: Output;
  /** Aborted by SIGTERM/SIGINT. */
  signal: AbortSignal;
  /** Asks a yes/no question; absent when there is no terminal to ask on. */
  confirm?: (question: string) => Promise<boolean>;
  /** The collectors; the real ones unless a caller substitutes its own. */
  collect?: CollectFn;
  /** What acts on a check-in's answer; the wired-in actions runner and updater by default. */
  hooks?: RunHooks;
}
