import { AGENT_PATHS } from '@vigil/protocol';

/** The download went over the size the signed manifest allows: stopped, nothing kept. */
export class DownloadTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the download is larger than the ${maxBytes} bytes the manifest allows; stopped`);
    this.name = 'DownloadTooLargeError';
  }
}

export interface DownloaderOptions {
  /** Relative manifest URLs (`/downloads/agent/...`) are resolved against the Vigil server. */
  serverUrl: string | URL;
  timeoutMs?: number;
}

/**
 * A `download(url, maxBytes)` for `checkAndApplyUpdate`. It stops as soon as the body passes
 * `maxBytes` (the signed size), so a hostile or broken mirror cannot make the agent buffer an
 * endless file in memory. No credentials are sent: the file is public, and a manifest URL may
 * name another host (a mirror), which must never see the agent token.
 */
export function createHttpDownloader(options: DownloaderOptions): (url: string, maxBytes: number) => Promise<Buffer> {
  return async (url, maxBytes) => {
    const target = new URL(url, options.serverUrl);
    if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error(`cannot download from ${target.protocol} URLs`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('the download timed out')), options.timeoutMs ?? 300_000);
    try {
      const response = await fetch(target, { signal: controller.signal, redirect: 'follow' });
      if (!response.ok || !response.body) throw new Error(`the download answered HTTP ${response.status}`);
      const declared = Number(response.headers.get('content-length') ?? Number.NaN);
      if (declared > maxBytes) throw new DownloadTooLargeError(maxBytes);
      const chunks: Buffer[] = [];
      let received = 0;
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        received += chunk.byteLength;
        if (received > maxBytes) throw new DownloadTooLargeError(maxBytes);
        chunks.push(Buffer.from(chunk));
      }
      return Buffer.concat(chunks, received);
    } finally {
      clearTimeout(timer);
      // Stops the transfer when we leave early (too large, an error): no bytes keep arriving.
      controller.abort();
    }
  };
}

/** The agent route that answers the signed manifest to install next, for `fetchRelease`. */
export function releaseManifestPath(platform: string, currentVersion: string): string {
  return `${AGENT_PATHS.releaseManifest}?${new URLSearchParams({ platform, current: currentVersion })}`;
}
