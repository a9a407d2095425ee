import { isIP } from 'node:net';

export class ServerUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerUrlError';
  }
}

/**
 * The server URL as the agent will use it. Plain http is refused unless it is a loopback address
 * or the operator said `--insecure-http`: the agent token and the signed actions travel on this
 * channel, and anyone on the path of a plain-http connection could read the token and replay it.
 */
export function parseServerUrl(input: string, options: { insecureHttp: boolean }): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new ServerUrlError(`--server ${JSON.stringify(input)} is not a URL (expected https://vigil.example.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ServerUrlError(`--server must be an https:// URL, not ${url.protocol}`);
  // Credentials in the URL would end up in logs and in agent.json.
  if (url.username || url.password) throw new ServerUrlError('--server must not contain a user name or password');
  if (url.search || url.hash) throw new ServerUrlError('--server must not contain a query or a fragment');
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && !options.insecureHttp) {
    throw new ServerUrlError(
      `refusing plain http to ${url.host}: the agent token would travel unencrypted. Use https, or pass --insecure-http if you accept that risk`,
    );
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** `path` (an AGENT_PATHS entry, starting with '/') under the server URL, keeping a path prefix. */
export function serverEndpoint(server: URL, path: string): URL {
  const base = server.pathname.replace(/\/+$/, '');
  const url = new URL(server.href);
  url.pathname = `${base}${path}`;
  return url;
}
