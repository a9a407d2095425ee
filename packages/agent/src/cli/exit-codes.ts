/** `vigil-agent` exit codes; the systemd unit should not restart on TOKEN_REFUSED (RestartPreventExitStatus=3). */
export const EXIT = {
  OK: 0,
  /** The command failed (not enrolled, server unreachable on `run --once`, a refused enrollment…). */
  FAILED: 1,
  /** Bad arguments. */
  USAGE: 2,
  /** The server refused the agent token (revoked or rotated): re-enroll; retrying cannot help. */
  TOKEN_REFUSED: 3,
  /** Another `run` loop holds the lock. */
  ALREADY_RUNNING: 4,
  /** The agent replaced (or rolled back) its own file: the service manager starts the new one (sysexits EX_TEMPFAIL). */
  RESTART: 75,
} as const;

/** An expected failure: its message is printed as one line, without a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILED,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
