import { createHash } from 'node:crypto';
import { normalizePassword } from './password-input.ts';

/**
 * Optional check of a password against a breached-password range API (the k-anonymity model of
 * Have I Been Pwned's Pwned Passwords): only the first 5 hex characters of the password's SHA-1
 * leave the server, and the service answers every suffix it knows under that prefix, so it never
 * learns which password was checked.
 *
 * Off by default: the caller decides whether to call it and which URL to use. The request goes
 * through the injected `fetchText`, which in the server is the outbound guard (SSRF checks,
 * timeouts, size limits).
 */

/** Fetches a URL and resolves with its body; rejects on network errors and non-success statuses. */
export type FetchText = (url: string) => Promise<string>;

export interface BreachedRangeOptions {
  /** Base of the range API; the request goes to `${baseUrl}/range/${prefix}`. */
  baseUrl: string;
  fetchText: FetchText;
}

export type BreachedRangeResult = { checked: true; breached: boolean; count: number } | { checked: false };

export function sha1Hex(password: string): string {
  return createHash('sha1').update(normalizePassword(password), 'utf8').digest('hex').toUpperCase();
}

export function rangeUrl(baseUrl: string, prefix: string): string {
  return `${baseUrl.replace(/\/+$/u, '')}/range/${prefix}`;
}

/** Finds `suffix` in a body of `SUFFIX:COUNT` lines; 0 when absent or listed with count 0 (padding). */
export function countInRange(body: string, suffix: string): number {
  const wanted = suffix.toUpperCase();
  for (const line of body.split('\n')) {
    const separator = line.indexOf(':');
    if (separator < 0) continue;
    if (line.slice(0, separator).trim().toUpperCase() !== wanted) continue;
    const count = Number.parseInt(line.slice(separator + 1).trim(), 10);
    return Number.isFinite(count) && count > 0 ? count : 0;
  }
  return 0;
}

export async function checkBreachedRange(password: string, options: BreachedRangeOptions): Promise<BreachedRangeResult> {
  const digest = sha1Hex(password);
  const prefix = digest.slice(0, 5);
  let body: string;
  try {
    body = await options.fetchText(rangeUrl(options.baseUrl, prefix));
  } catch {
    // Fail open, for this check only: it is an optional extra on top of the offline
    // common-password list and the strength estimate, which always run. Failing closed would let
    // an outage of a third-party service stop every sign-up and password change.
    return { checked: false };
  }
  const count = countInRange(body, digest.slice(5));
  return { checked: true, breached: count > 0, count };
}
