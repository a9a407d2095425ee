import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { AGENT_PATHS, CHECKIN_SCHEMA, type CheckInRequest, inventorySchema, PROTOCOL_LIMITS } from '@vigil/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentClient } from './agent-client.ts';
import { AgentAuthError, AgentNetworkError, AgentPayloadError, AgentProtocolError, AgentRequestError } from './errors.ts';
import {
  AGENT_TOKEN,
  ENROLL_TOKEN,
  type FakeVigilServer,
  sendJson,
  sendProblem,
  startFakeVigilServer,
} from './fake-vigil-server.testkit.ts';
import { makeInventory } from './inventory.testkit.ts';
import { parseServerUrl } from './server-url.ts';

let server: FakeVigilServer;
let client: AgentClient;
beforeEach(async () => {
  server = await startFakeVigilServer();
  client = new AgentClient({ server: server.url, token: AGENT_TOKEN, agentVersion: '9.9.9', timeoutMs: 5_000 });
});
afterEach(() => server.close());

const checkInRequest: CheckInRequest = {
  schema: CHECKIN_SCHEMA,
  agentVersion: '9.9.9',
  hostname: 'web-1',
  inventoryDigest: 'a'.repeat(64),
  uptimeSeconds: 5,
};

describe('AgentClient', () => {
  it('checks in with the bearer token and the agent user-agent, and parses the answer', async () => {
    const answer = await client.checkIn(checkInRequest);
    expect(answer.nextCheckInSeconds).toBe(60);
    const [request] = server.requests;
    expect(request?.headers.authorization).toBe(`Bearer ${AGENT_TOKEN}`);
    expect(request?.headers['user-agent']).toBe('vigil-agent/9.9.9');
    expect(request?.json).toEqual(checkInRequest);
  });

  it('sends the inventory gzip-encoded as JSON', async () => {
    const inventory = makeInventory();
    await client.sendInventory(inventory);
    const [request] = server.requests;
    expect(request?.headers['content-encoding']).toBe('gzip');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(inventorySchema.parse(JSON.parse(gunzipSync(request?.raw ?? Buffer.alloc(0)).toString('utf8')))).toEqual(inventory);
  });

  it('enrolls without a bearer token', async () => {
    const anonymous = new AgentClient({ server: server.url, agentVersion: '9.9.9' });
    const answer = await anonymous.enroll({ token: ENROLL_TOKEN, hostname: 'web-1', agentVersion: '9.9.9' });
    expect(answer.assetId).toBe(server.assetId);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('refuses, before sending, an inventory whose gzip body is over the body limit', async () => {
    // Random names do not compress: 20,000 × 120 hex characters is about 1.2 MB gzip'd.
    const packages = Array.from({ length: 20_000 }, () => ({ ecosystem: 'npm', name: randomBytes(60).toString('hex'), version: '1.0.0' }));
    const error = await client.sendInventory(makeInventory(packages)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentPayloadError);
    expect((error as Error).message).toMatch(new RegExp(`over the server's ${PROTOCOL_LIMITS.bodyBytes}-byte body limit: not sent`));
    expect(server.requests).toHaveLength(0);
  });

  it('refuses to send a message that breaks the protocol schema', async () => {
    await expect(client.checkIn({ ...checkInRequest, inventoryDigest: 'not-a-digest' })).rejects.toThrow(AgentPayloadError);
    await expect(client.sendInventory({ ...makeInventory(), schema: 'vigil.inventory/2' } as never)).rejects.toThrow(AgentPayloadError);
    expect(server.requests).toHaveLength(0);
  });

  it('treats an answer that fails the schema as an error', async () => {
    server.handle(AGENT_PATHS.checkIn, (_request, response) => sendJson(response, 200, { ...server.checkIn, nextCheckInSeconds: 1 }));
    await expect(client.checkIn(checkInRequest)).rejects.toThrow(AgentProtocolError);
    server.handle(AGENT_PATHS.checkIn, (_request, response) => sendJson(response, 200, { ...server.checkIn, extra: 'field' }));
    await expect(client.checkIn(checkInRequest)).rejects.toThrow(/does not match the protocol/);
    server.handle(AGENT_PATHS.checkIn, (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>proxy login</html>');
    });
    await expect(client.checkIn(checkInRequest)).rejects.toThrow(/is not JSON/);
  });

  it('refuses an answer larger than the body limit without buffering it', async () => {
    server.handle(AGENT_PATHS.actions, (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      for (let i = 0; i < 40; i += 1) response.write(chunk);
      response.end('{}');
    });
    await expect(client.fetchActions()).rejects.toThrow(/over the 1048576-byte limit/);
  });

  it('does not follow a redirect, so the token never reaches another host', async () => {
    let reachedTarget = 0;
    const target = createServer((_request, response) => {
      reachedTarget += 1;
      response.end('{}');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const port = (target.address() as AddressInfo).port;
    server.handle(AGENT_PATHS.checkIn, (_request, response) => {
      response.writeHead(307, { location: `http://127.0.0.1:${port}${AGENT_PATHS.checkIn}` });
      response.end();
    });
    const error = await client.checkIn(checkInRequest).catch((caught: unknown) => caught);
    await new Promise((resolve) => target.close(resolve));
    expect(error).toBeInstanceOf(AgentRequestError);
    expect((error as AgentRequestError).message).toMatch(/does not follow redirects/);
    expect(reachedTarget).toBe(0);
  });

  it('surfaces 401 as AgentAuthError and other problems with their status, title and detail', async () => {
    const stranger = new AgentClient({ server: server.url, token: `vgl_agent_${'x'.repeat(40)}`, agentVersion: '9.9.9' });
    await expect(stranger.checkIn(checkInRequest)).rejects.toThrow(AgentAuthError);
    server.handle(AGENT_PATHS.checkIn, (_request, response) => sendProblem(response, 422, 'Unprocessable\nEntity', 'hostname is too long'));
    const error = (await client.checkIn(checkInRequest).catch((caught: unknown) => caught)) as AgentRequestError;
    expect(error).toBeInstanceOf(AgentRequestError);
    expect([error.status, error.title, error.detail, error.retryable]).toEqual([
      422,
      'Unprocessable Entity',
      'hostname is too long',
      false,
    ]);
    server.handle(AGENT_PATHS.checkIn, (_request, response) => sendProblem(response, 503, 'Service Unavailable'));
    expect(((await client.checkIn(checkInRequest).catch((caught: unknown) => caught)) as AgentRequestError).retryable).toBe(true);
  });

  it('reports an unreachable server as a network error', async () => {
    await server.close();
    await expect(client.checkIn(checkInRequest)).rejects.toThrow(AgentNetworkError);
    server = await startFakeVigilServer();
  });

  it('sends the token on a download only to the server itself, and caps the size', async () => {
    server.handle('/files/agent.mjs', (_request, response) => response.end(Buffer.alloc(100, 1)));
    expect((await client.download('/files/agent.mjs', 100)).byteLength).toBe(100);
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${AGENT_TOKEN}`);
    await expect(client.download('/files/agent.mjs', 99)).rejects.toThrow(AgentProtocolError);

    const mirror = await startFakeVigilServer();
    mirror.handle('/agent.mjs', (_request, response) => response.end('x'));
    await client.download(`${mirror.url.replace('127.0.0.1', 'localhost')}/agent.mjs`, 10);
    expect(mirror.requests[0]?.headers.authorization).toBeUndefined();
    await mirror.close();
    await expect(client.download('http://downloads.example.com/agent.mjs', 10)).rejects.toThrow(/refusing plain http/);
  });

  it('returns null when the server offers no release, and a signed manifest when it does', async () => {
    expect(await client.fetchRelease()).toBeNull();
    const signed = { payload: 'abc', kid: 'release-1', signature: 'A'.repeat(86) };
    server.handle(AGENT_PATHS.releaseManifest, (_request, response) => sendJson(response, 200, signed));
    expect(await client.fetchRelease()).toEqual(signed);
  });
});

describe('parseServerUrl', () => {
  it('accepts https and loopback http, refuses plain http elsewhere unless asked', () => {
    expect(parseServerUrl('https://vigil.example.com/', { insecureHttp: false }).href).toBe('https://vigil.example.com/');
    expect(parseServerUrl('http://127.0.0.1:8080', { insecureHttp: false }).host).toBe('127.0.0.1:8080');
    expect(parseServerUrl('http://[::1]:8080', { insecureHttp: false }).hostname).toBe('[::1]');
    expect(() => parseServerUrl('http://vigil.example.com', { insecureHttp: false })).toThrow(/refusing plain http.*--insecure-http/);
    expect(parseServerUrl('http://vigil.example.com', { insecureHttp: true }).protocol).toBe('http:');
  });

  it('refuses URLs that are not plain server addresses', () => {
    for (const bad of [
      'vigil.example.com',
      'ftp://vigil.example.com',
      'https://user:pw@vigil.example.com',
      'https://v.example.com/?a=1',
      'file:///etc/passwd',
    ]) {
      expect(() => parseServerUrl(bad, { insecureHttp: true }), bad).toThrow();
    }
    // A look-alike of a loopback name is not loopback.
    expect(() => parseServerUrl('http://127.0.0.1.example.com', { insecureHttp: false })).toThrow(/refusing plain http/);
  });

  it('keeps a path prefix for servers behind a reverse proxy', async () => {
    const server2 = await startFakeVigilServer();
    const prefixed = new AgentClient({ server: `${server2.url}/vigil/`, token: AGENT_TOKEN, agentVersion: '1' });
    await prefixed.checkIn(checkInRequest).catch(() => {});
    expect(server2.requests[0]?.path).toBe(`/vigil${AGENT_PATHS.checkIn}`);
    await server2.close();
  });
});
