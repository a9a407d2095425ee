import { errorFactory } from '../app-error.ts';

export const OUTBOUND_ERRORS = {
  OUTBOUND_BLOCKED: { status: 400, title: 'The outbound request is not allowed' },
  OUTBOUND_TOO_MANY_REDIRECTS: { status: 502, title: 'The remote server redirected too many times' },
  OUTBOUND_TOO_LARGE: { status: 502, title: 'The remote file is larger than allowed' },
  OUTBOUND_TIMEOUT: { status: 504, title: 'The remote server took too long' },
  OUTBOUND_HTTP_STATUS: { status: 502, title: 'The remote server answered with an error' },
  OUTBOUND_ABORTED: { status: 503, title: 'The download was cancelled' },
  OUTBOUND_FAILED: { status: 502, title: 'The download failed' },
} as const;

export type OutboundErrorCode = keyof typeof OUTBOUND_ERRORS;

export const outboundError = errorFactory(OUTBOUND_ERRORS);

const MAX_SHOWN = 300;

/**
 * The form of a URL that may appear in messages and logs. Error details reach problem+json
 * responses and logs, so userinfo is dropped and query values are masked: feed mirrors are
 * often authenticated with `?token=...` and the token must not leak through an error.
 */
export function redactUrl(url: URL | string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '<invalid URL>';
  }
  if (!parsed.host) return `${parsed.protocol}<redacted>`;
  const query = [...parsed.searchParams.keys()].map((key) => `${encodeURIComponent(key)}=***`).join('&');
  const shown = `${parsed.protocol}//${parsed.host}${parsed.pathname}${query ? `?${query}` : ''}`;
  return shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN)}…` : shown;
}
