import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../app-error.ts';
import { downloadToFile } from './download.ts';
import type { OutboundErrorCode } from './outbound.errors.ts';
import { DEFAULT_OUTBOUND_POLICY, type OutboundPolicy } from './policy.ts';

interface TestServer {
  port: number;
  origin: string;
  /** Every request that reached the server, so a test can prove a blocked hop never connected. */
  requests: { url: string; headers: IncomingHttpHeaders }[];
  connections: number;
}

const servers: Server[] = [];
let dir: string;
let destination: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-outbound-'));
  destination = join(dir, 'feed.json');
});

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await rm(dir, { recursive: true, force: true });
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const state: TestServer = { port: 0, origin: '', requests: [], connections: 0 };
  const server = createServer((req, res) => {
    state.requests.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  server.on('connection', () => {
    state.connections++;
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.origin = `http://127.0.0.1:${state.port}`;
  return state;
}

/** Loopback test servers are private, so the policy names each of them explicitly. */
function policyFor(allowed: TestServer[], overrides: Partial<OutboundPolicy> = {}): OutboundPolicy {
  return {
    ...DEFAULT_OUTBOUND_POLICY,
    allowHttp: true,
    allowPrivateHosts: allowed.map((server) => `127.0.0.1:${server.port}`),
    timeoutMs: 20_000,
    idleTimeoutMs: 5_000,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>, code: OutboundErrorCode): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

function expectNoFile() {
  expect(existsSync(destination)).toBe(false);
  expect(existsSync(`${destination}.part`)).toBe(false);
}

describe('downloadToFile', () => {
  it('writes the body with its sha256 and size to a 0600 file', async () => {
    const body = randomBytes(200_000);
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
    const progress: [number, number | null][] = [];

    const result = await downloadToFile(`${server.origin}/kev.json`, destination, policyFor([server]), {
      onProgress: (received, total) => progress.push([received, total]),
      userAgent: 'vigil-test',
    });

    expect(result).toEqual({
      url: `${server.origin}/kev.json`,
      finalUrl: `${server.origin}/kev.json`,
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      contentType: 'application/json',
    });
    expect(await readFile(destination)).toEqual(body);
    expect((await stat(destination)).mode & 0o777).toBe(0o600);
    expect(existsSync(`${destination}.part`)).toBe(false);
    expect(progress.at(-1)).toEqual([body.length, body.length]);
    expect(server.requests[0]?.headers['accept-encoding']).toBe('identity');
    expect(server.requests[0]?.headers['user-agent']).toBe('vigil-test');
  });

  it('stores a compressed body as served instead of decompressing it', async () => {
    const body = randomBytes(1000);
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
    });
    const result = await downloadToFile(`${server.origin}/x.gz`, destination, policyFor([server]));
    expect(result.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(await readFile(destination)).toEqual(body);
  });

  it('follows redirects between allowed hosts and reports the final URL', async () => {
    const target = await serve((_req, res) => res.end('feed'));
    const mirror = await serve((req, res) => {
      const location = req.url === '/start' ? '/moved' : `${target.origin}/final?token=abc`;
      res.writeHead(req.url === '/start' ? 303 : 307, { location }).end();
    });

    const result = await downloadToFile(`${mirror.origin}/start`, destination, policyFor([mirror, target]));

    expect(result.finalUrl).toBe(`${target.origin}/final?token=abc`);
    expect(mirror.requests.map((request) => request.url)).toEqual(['/start', '/moved']);
    expect(await readFile(destination, 'utf8')).toBe('feed');
  });

  it('refuses plain http under the default https-only policy without connecting', async () => {
    const server = await serve((_req, res) => res.end('feed'));
    const policy = { ...DEFAULT_OUTBOUND_POLICY, allowPrivateHosts: [`127.0.0.1:${server.port}`] };

    const error = await failure(downloadToFile(`${server.origin}/`, destination, policy), 'OUTBOUND_BLOCKED');

    expect(error.message).toBe(`Refused ${server.origin}/: plain http is not allowed (https only)`);
    expect(server.connections).toBe(0);
  });

  it('refuses localhost under the default policy, judged on what the name resolves to', async () => {
    const server = await serve((_req, res) => res.end('feed'));

    const error = await failure(
      downloadToFile(`https://localhost:${server.port}/`, destination, DEFAULT_OUTBOUND_POLICY),
      'OUTBOUND_BLOCKED',
    );

    expect(error.message).toMatch(
      /^Refused https:\/\/localhost:\d+\/: localhost resolves to (127\.0\.0\.1|::1); .* is a loopback address$/,
    );
    expect(server.connections).toBe(0);
  });

  it('connects through the guarded lookup when the name and port are allow-listed', async () => {
    const server = await serve((_req, res) => res.end('feed'));
    const policy = policyFor([], { allowPrivateHosts: [`localhost:${server.port}`] });

    const result = await downloadToFile(`http://localhost:${server.port}/`, destination, policy);

    expect(result.bytes).toBe(4);
  });

  describe('a permitted mirror that redirects to a private address', () => {
    it.each([
      ['http://10.0.0.1/x', '10.0.0.1 is a private address'],
      ['http://169.254.169.254/latest/meta-data', '169.254.169.254 is a link-local address (where cloud metadata services answer)'],
      ['http://2130706433/', '127.0.0.1 is a loopback address'],
      ['http://0x7f.1/', '127.0.0.1 is a loopback address'],
      ['http://[fd00::1]/', 'fd00::1 is a unique-local (private IPv6) address'],
      ['http://0.0.0.0/', '0.0.0.0 is the unspecified address'],
    ])('blocks %s', async (location, reason) => {
      const mirror = await serve((_req, res) => res.writeHead(302, { location }).end());

      const error = await failure(downloadToFile(`${mirror.origin}/feed`, destination, policyFor([mirror])), 'OUTBOUND_BLOCKED');

      expect(error.message).toBe(`${mirror.origin}/feed redirects to ${new URL(location).href}, refused: ${reason}`);
      expectNoFile();
    });

    it.each([
      ['http://127.0.0.1:PORT/', /refused: 127\.0\.0\.1 is a loopback address$/],
      ['http://[::1]:PORT/', /refused: ::1 is a loopback address$/],
      ['http://[::ffff:127.0.0.1]:PORT/', /refused: ::ffff:7f00:1 is a loopback address \(it maps to 127\.0\.0\.1\)$/],
      ['http://localhost:PORT/', /refused: localhost resolves to (127\.0\.0\.1|::1); \S+ is a loopback address$/],
    ])('blocks %s and never connects to the other local service', async (template, reason) => {
      const internal = await serve((_req, res) => res.end('secret'));
      const location = template.replace('PORT', String(internal.port));
      const mirror = await serve((_req, res) => res.writeHead(301, { location }).end());

      const error = await failure(downloadToFile(`${mirror.origin}/feed`, destination, policyFor([mirror])), 'OUTBOUND_BLOCKED');

      expect(error.message).toContain(`${mirror.origin}/feed redirects to ${new URL(location).href}, refused: `);
      expect(error.message).toMatch(reason);
      expect(internal.connections).toBe(0);
      expectNoFile();
    });
  });

  it('stops after maxRedirects', async () => {
    const server = await serve((req, res) => {
      const n = Number(req.url?.slice(1));
      res.writeHead(302, { location: `/${n + 1}` }).end();
    });

    const error = await failure(
      downloadToFile(`${server.origin}/0`, destination, policyFor([server], { maxRedirects: 3 })),
      'OUTBOUND_TOO_MANY_REDIRECTS',
    );

    expect(error.message).toBe(`${server.origin}/0 redirected more than 3 times`);
    expect(server.requests.map((request) => request.url)).toEqual(['/0', '/1', '/2', '/3']);
  });

  it('detects a redirect loop', async () => {
    const server = await serve((req, res) => res.writeHead(302, { location: req.url === '/a' ? '/b' : '/a' }).end());

    const error = await failure(downloadToFile(`${server.origin}/a`, destination, policyFor([server])), 'OUTBOUND_TOO_MANY_REDIRECTS');

    expect(error.message).toContain('redirects in a loop');
    expect(server.requests).toHaveLength(2);
  });

  it('refuses a declared Content-Length over maxBytes before writing anything', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': 1001 });
      res.end(Buffer.alloc(1001));
    });

    const error = await failure(
      downloadToFile(`${server.origin}/big`, destination, policyFor([server], { maxBytes: 1000 })),
      'OUTBOUND_TOO_LARGE',
    );

    expect(error.message).toBe(`${server.origin}/big is larger than 1000 bytes`);
    expectNoFile();
  });

  it('aborts a chunked body once it grows past maxBytes and leaves no file behind', async () => {
    let sent = 0;
    const server = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const drip = setInterval(() => {
        sent += 1024;
        res.write(Buffer.alloc(1024));
      }, 2);
      req.socket.on('close', () => clearInterval(drip));
    });

    await failure(
      downloadToFile(`${server.origin}/endless`, destination, policyFor([server], { maxBytes: 16 * 1024 })),
      'OUTBOUND_TOO_LARGE',
    );

    expectNoFile();
    const sentAtFailure = sent;
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The connection is gone, so the server stopped writing.
    expect(sent - sentAtFailure).toBeLessThanOrEqual(1024);
  });

  it('times out a server that sends headers and then stalls', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('partial');
    });

    const error = await failure(
      downloadToFile(`${server.origin}/stall`, destination, policyFor([server], { idleTimeoutMs: 300 })),
      'OUTBOUND_TIMEOUT',
    );

    expect(error.message).toBe(`${server.origin}/stall sent nothing for 300 ms`);
    expectNoFile();
  });

  it('times out a server that never answers', async () => {
    const server = await serve(() => undefined);

    const error = await failure(
      downloadToFile(`${server.origin}/`, destination, policyFor([server], { idleTimeoutMs: 300 })),
      'OUTBOUND_TIMEOUT',
    );

    expect(error.message).toBe(`${server.origin}/ sent nothing for 300 ms`);
  });

  it('enforces the total timeout against a server that trickles', async () => {
    const server = await serve((req, res) => {
      res.writeHead(200);
      const drip = setInterval(() => res.write('.'), 20);
      req.socket.on('close', () => clearInterval(drip));
    });

    const error = await failure(
      downloadToFile(`${server.origin}/slow`, destination, policyFor([server], { timeoutMs: 400, idleTimeoutMs: 5_000 })),
      'OUTBOUND_TIMEOUT',
    );

    expect(error.message).toBe(`${server.origin}/slow did not finish within 400 ms`);
    expectNoFile();
  });

  it('reports a non-2xx status without leaking query values', async () => {
    const server = await serve((_req, res) => res.writeHead(404).end('not here'));

    const error = await failure(
      downloadToFile(`${server.origin}/feed?token=hunter2`, destination, policyFor([server])),
      'OUTBOUND_HTTP_STATUS',
    );

    expect(error.message).toBe(`${server.origin}/feed?token=*** answered HTTP 404`);
    expect(error.extra).toEqual({ status: 404 });
    expectNoFile();
  });

  it('refuses credentials in the URL and does not repeat them', async () => {
    const server = await serve((_req, res) => res.end('feed'));

    const error = await failure(
      downloadToFile(`http://admin:hunter2@127.0.0.1:${server.port}/`, destination, policyFor([server])),
      'OUTBOUND_BLOCKED',
    );

    expect(error.message).toBe(`Refused ${server.origin}/: URLs with credentials are not allowed`);
    expect(error.message).not.toContain('hunter2');
    expect(server.connections).toBe(0);
  });

  it.each(['file:///etc/passwd', 'ftp://127.0.0.1/feed', 'not a url'])('refuses %s', async (url) => {
    await failure(downloadToFile(url, destination, policyFor([])), 'OUTBOUND_BLOCKED');
  });

  it('stops when the caller aborts', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.write('first chunk');
    });
    const controller = new AbortController();

    await failure(
      downloadToFile(`${server.origin}/`, destination, policyFor([server]), {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
      'OUTBOUND_ABORTED',
    );

    expectNoFile();
  });

  it('does not connect when the caller aborted before the start', async () => {
    const server = await serve((_req, res) => res.end('feed'));

    await failure(
      downloadToFile(`${server.origin}/`, destination, policyFor([server]), { signal: AbortSignal.abort() }),
      'OUTBOUND_ABORTED',
    );

    expect(server.connections).toBe(0);
  });

  describe('keeps the previous file when a download fails', () => {
    it.each<[string, (res: ServerResponse) => void, OutboundErrorCode]>([
      ['a server error', (res) => res.writeHead(500).end('oops'), 'OUTBOUND_HTTP_STATUS'],
      [
        'a chunked body over maxBytes',
        (res) => {
          res.write(Buffer.alloc(5000));
          res.end();
        },
        'OUTBOUND_TOO_LARGE',
      ],
      [
        'a connection cut mid-body',
        (res) => {
          res.writeHead(200, { 'content-length': 3000 });
          res.write(Buffer.alloc(100), () => res.socket?.destroy());
        },
        'OUTBOUND_FAILED',
      ],
    ])('after %s', async (_name, respond, code) => {
      await writeFile(destination, 'previous feed');
      const server = await serve((_req, res) => respond(res));

      await failure(downloadToFile(`${server.origin}/`, destination, policyFor([server], { maxBytes: 4096 })), code);

      expect(await readFile(destination, 'utf8')).toBe('previous feed');
      expect(existsSync(`${destination}.part`)).toBe(false);
    });
  });
});
