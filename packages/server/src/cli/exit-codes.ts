import { AppError } from '../lib/app-error.ts';

/** Exit codes of every `vigil` command (sysexits.h where one fits); documented in docs/operations.md. */
export const EXIT = {
  OK: 0,
  /** The command ran and failed (a migration failed, the instance is already bootstrapped…). */
  FAILURE: 1,
  /** Wrong command line: unknown command or option, missing or invalid argument. */
  USAGE: 64,
  /** Something it needs is unavailable: database unreachable, data directory locked or damaged. */
  UNAVAILABLE: 69,
  /** An unexpected internal error (a bug): the log has the details. */
  SOFTWARE: 70,
  /** Invalid configuration: one line names the variable and what it allows. */
  CONFIG: 78,
} as const;

/** An error that ends the command with a given exit code and one line for the operator. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

const UNAVAILABLE_CODES = new Set(['DATABASE_UNAVAILABLE', 'DATA_DIR_LOCKED', 'DATA_DIR_UNUSABLE']);

export function exitCodeFor(error: unknown): number {
  if (error instanceof CliExit) return error.exitCode;
  if (error instanceof AppError) {
    if (UNAVAILABLE_CODES.has(error.code)) return EXIT.UNAVAILABLE;
    if (error.status === 400) return EXIT.USAGE;
    return EXIT.FAILURE;
  }
  return EXIT.SOFTWARE;
}
