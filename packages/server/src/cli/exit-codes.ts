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
