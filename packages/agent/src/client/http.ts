import { AgentAuthError, AgentNetworkError, AgentProtocolError, AgentRequestError } from './errors.ts';

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

export interface SendOptions {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  /** The most the agent reads of the answer; a larger one is refused, not buffered. */
  maxResponseBytes: number;
  fetch: typeof globalThis.fetch;
}

/**
 * One request, no redirects followed (a redirect could carry the bearer token to another host,
 * or turn https into http), with a deadline and a cap on what is read back. Non-2xx answers
 * become typed errors here, so callers handle only the success case.
 */
export async function send(options: SendOptions): Promise<RawResponse> {
  let response: Response;
  try {
    response = await options.fetch(options.url, {
      method: options.method,
      headers: options.headers,
      ...(options.body ? { body: options.body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw new AgentNetworkError(`cannot reach ${options.url.origin}: ${describe(error)}`, { cause: error });
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => {});
    const location = response.headers.get('location');
    throw new AgentRequestError(
      response.status,
      'Redirect refused',
      `the server redirected ${options.url.pathname} to ${location ?? '(no location)'}; the agent does not follow redirects: set --server to the final https URL`,
      null,
    );
  }
  const body = await readCapped(response, options.maxResponseBytes, options.url);
  if (response.status === 401) throw new AgentAuthError(problemOf(body).detail);
  if (response.status < 200 || response.status >= 300) {
    const problem = problemOf(body);
    throw new AgentRequestError(response.status, problem.title ?? (response.statusText || 'Error'), problem.detail, problem.code);
  }
  return { status: response.status, headers: response.headers, body };
}

async function readCapped(response: Response, maxBytes: number, url: URL): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new AgentProtocolError(`the answer from ${url.pathname} is ${declared} bytes, over the ${maxBytes}-byte limit`);
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new AgentProtocolError(`the answer from ${url.pathname} is over the ${maxBytes}-byte limit`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof AgentProtocolError) throw error;
    throw new AgentNetworkError(`reading the answer from ${url.origin} failed: ${describe(error)}`, { cause: error });
  }
  return Buffer.concat(chunks, total);
}

/** The problem+json fields worth showing, from an error body that may be anything at all. */
function problemOf(body: Buffer): { title: string | null; detail: string | null; code: string | null } {
  try {
    const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    return { title: shortText(json.title), detail: shortText(json.detail), code: shortText(json.code) };
  } catch {
    return { title: null, detail: null, code: null };
  }
}

/** Server text goes into the agent's log: one line, bounded, no control characters. */
function shortText(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point (log injection)
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 300);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timed out';
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return error.message;
  }
  return String(error);
}
