/** The server refused the agent's token (401): revoked, rotated or never valid. Never retried. */
export class AgentAuthError extends Error {
  constructor(readonly detail: string | null) {
    super("the server refused this agent's token (revoked or rotated): re-enroll with `vigil-agent enroll`");
    this.name = 'AgentAuthError';
  }
}

/** The server answered with an error status (problem+json title and detail when it sent them). */
export class AgentRequestError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | null,
    readonly code: string | null,
  ) {
    super(`the server answered ${status} ${title}${detail ? `: ${detail}` : ''}`);
    this.name = 'AgentRequestError';
  }

  /** 5xx, 429 and 408 are the server's trouble, worth retrying later; other 4xx are ours. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

/** The server could not be reached, timed out, or redirected (never followed). Retryable. */
export class AgentNetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentNetworkError';
  }
}

/**
 * The server's answer did not match the protocol (not JSON, wrong shape, too large). Not trusted,
 * never acted on: it may be a proxy's page, a version mismatch or a hostile server.
 */
export class AgentProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentProtocolError';
  }
}

/** What the agent was about to send breaks the protocol's limits: refused before a byte left. */
export class AgentPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentPayloadError';
  }
}
