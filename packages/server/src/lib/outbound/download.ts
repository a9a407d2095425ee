import { createHash } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import { open, rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { AppError } from '../app-error.ts';
import { outboundError, redactUrl } from './outbound.errors.ts';
import { addressRefusal, type OutboundPolicy, urlRefusal } from './policy.ts';

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (received: number, total: number | null) => void;
  userAgent?: string;
}

export interface DownloadResult {
  /** The URL asked for. */
  url: string;
  /** The URL the body came from, after redirects. */
  finalUrl: string;
  bytes: number;
  /** Hex SHA-256 of the bytes written. */
  sha256: string;
  contentType: string | null;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DEFAULT_USER_AGENT = 'Vigil feed downloader';

/**
 * Downloads `url` to `destination` under `policy`. The file appears only when the download is
 * complete and synced; until then the bytes go to `destination.part` (mode 0600), which is
 * removed on failure, so a previous copy of the feed stays usable.
 */
export async function downloadToFile(
  url: string,
  destination: string,
  policy: OutboundPolicy,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  // Every failure we detect ourselves aborts this controller with its AppError as the reason, so
  // whatever low-level error the socket or stream reports afterwards, the caller gets ours.
  const cancel = new AbortController();
  const timer = setTimeout(
    () => cancel.abort(outboundError('OUTBOUND_TIMEOUT', `${redactUrl(url)} did not finish within ${policy.timeoutMs} ms`)),
    policy.timeoutMs,
  );
  const onCallerAbort = () => cancel.abort(outboundError('OUTBOUND_ABORTED', `Download of ${redactUrl(url)} was cancelled`));
  if (options.signal?.aborted) onCallerAbort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    const { response, finalUrl } = await followRedirects(url, policy, cancel, options.userAgent ?? DEFAULT_USER_AGENT);
    const saved = await saveBody(response, finalUrl, destination, policy, options.onProgress);
    return { url, finalUrl: finalUrl.href, ...saved };
  } catch (error) {
    if (cancel.signal.aborted) throw cancel.signal.reason;
    if (error instanceof AppError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw outboundError('OUTBOUND_FAILED', `Download of ${redactUrl(url)} failed: ${code}`);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
}

async function followRedirects(
  start: string,
  policy: OutboundPolicy,
  cancel: AbortController,
  userAgent: string,
): Promise<{ response: IncomingMessage; finalUrl: URL }> {
  let current: URL;
  try {
    current = new URL(start);
  } catch {
    throw outboundError('OUTBOUND_BLOCKED', `Refused ${redactUrl(start)}: not a valid URL`);
  }
  const refuse = (hop: number, target: URL, reason: string) =>
    hop === 0
      ? outboundError('OUTBOUND_BLOCKED', `Refused ${redactUrl(target)}: ${reason}`)
      : outboundError('OUTBOUND_BLOCKED', `${redactUrl(start)} redirects to ${redactUrl(target)}, refused: ${reason}`);
  const visited = new Set<string>();
  for (let hop = 0; ; hop++) {
    // The whole policy applies to every hop: an allowed mirror must not bounce us to 169.254.169.254.
    const refusal = urlRefusal(current, policy);
    if (refusal) throw refuse(hop, current, refusal);
    visited.add(current.href);
    const target = current;
    const response = await get(target, policy, cancel, userAgent, (reason) => refuse(hop, target, reason));
    const location = response.headers.location;
    if (!REDIRECT_STATUSES.has(response.statusCode ?? 0) || location === undefined) return { response, finalUrl: current };
    response.destroy();
    if (hop >= policy.maxRedirects) {
      throw outboundError('OUTBOUND_TOO_MANY_REDIRECTS', `${redactUrl(start)} redirected more than ${policy.maxRedirects} times`);
    }
    try {
      current = new URL(location, current);
    } catch {
      throw outboundError('OUTBOUND_FAILED', `${redactUrl(current)} redirected to an invalid URL`);
    }
    if (visited.has(current.href)) {
      throw outboundError('OUTBOUND_TOO_MANY_REDIRECTS', `${redactUrl(start)} redirects in a loop at ${redactUrl(current)}`);
    }
  }
}

/** One GET, resolved with the response head. Connects only to addresses that passed the policy. */
function get(
  url: URL,
  policy: OutboundPolicy,
  cancel: AbortController,
  userAgent: string,
  refuse: (reason: string) => AppError,
): Promise<IncomingMessage> {
  // DNS rebinding: checking a name and then letting the socket resolve it again would let a
  // hostile resolver answer "public" to the check and "127.0.0.1" to the connect. The socket
  // connects to exactly the addresses validated here.
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { all: true, family: lookupOptions.family, hints: lookupOptions.hints }, (error, addresses) => {
      if (error) return callback(error, []);
      // Any bad answer refuses the host: with several A records, the one tried could be the private one.
      for (const { address } of addresses) {
        const reason = addressRefusal(address, url, policy);
        if (reason === null) continue;
        const refusal = refuse(`${hostname} resolves to ${address}; ${reason}`);
        cancel.abort(refusal);
        return callback(refusal, []);
      }
      const [first] = addresses;
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      if (lookupOptions.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      // A pooled socket could skip the guarded lookup; a fresh one per hop cannot.
      agent: false,
      lookup,
      signal: cancel.signal,
      timeout: policy.idleTimeoutMs,
      headers: {
        host: url.host,
        'user-agent': userAgent,
        accept: '*/*',
        // We hash and store the bytes as served; transparent decompression would also turn a
        // small compressed body into an unbounded one on disk.
        'accept-encoding': 'identity',
      },
    });
    request.on('timeout', () =>
      cancel.abort(outboundError('OUTBOUND_TIMEOUT', `${redactUrl(url)} sent nothing for ${policy.idleTimeoutMs} ms`)),
    );
    request.on('response', resolve);
    request.on('error', reject);
    request.end();
  });
}

async function saveBody(
  response: IncomingMessage,
  url: URL,
  destination: string,
  policy: OutboundPolicy,
  onProgress: DownloadOptions['onProgress'],
): Promise<Omit<DownloadResult, 'url' | 'finalUrl'>> {
  const status = response.statusCode ?? 0;
  if (status < 200 || status > 299) {
    response.destroy();
    throw outboundError('OUTBOUND_HTTP_STATUS', `${redactUrl(url)} answered HTTP ${status}`, { status });
  }
  const declared = response.headers['content-length'];
  const total = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : null;
  const tooLarge = () => outboundError('OUTBOUND_TOO_LARGE', `${redactUrl(url)} is larger than ${policy.maxBytes} bytes`);
  if (total !== null && total > policy.maxBytes) {
    response.destroy();
    throw tooLarge();
  }

  const part = `${destination}.part`;
  await rm(part, { force: true });
  // 'wx' after the rm: the file is created by us with 0600, never an existing file or symlink reused.
  const file = await open(part, 'wx', 0o600);
  let closed = false;
  try {
    const hash = createHash('sha256');
    let received = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      received += chunk.length;
      // Content-Length can be absent or lie; the limit is enforced on the bytes actually received.
      if (received > policy.maxBytes) throw tooLarge();
      hash.update(chunk);
      await file.write(chunk);
      onProgress?.(received, total);
    }
    if (total !== null && received !== total) {
      throw outboundError('OUTBOUND_FAILED', `${redactUrl(url)} ended after ${received} of ${total} bytes`);
    }
    await file.sync();
    closed = true;
    await file.close();
    await rename(part, destination);
    return { bytes: received, sha256: hash.digest('hex'), contentType: response.headers['content-type'] ?? null };
  } catch (error) {
    response.destroy();
    if (!closed) await file.close().catch(() => undefined);
    await rm(part, { force: true });
    throw error;
  }
}
