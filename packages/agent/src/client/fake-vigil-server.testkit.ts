// Test support (not bundled): a real HTTP server on 127.0.0.1 that speaks the agent protocol the
// way the Vigil server does, with handlers a test can replace, and a record of every request.
import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  ACTION_KEY_SET_SCHEMA,
  type ActionKey,
  type ActionKeySetPayload,
  AGENT_PATHS,
  type CheckInResponse,
  type EnrollResponse,
  type InventoryReceipt,
  type SignedActionKeySet,
  sealActionKeySet,
  trustedKeyOf,
} from '@vigil/protocol';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string, without '?'. */
  query: string;
  headers: IncomingHttpHeaders;
  /** The body as sent (still gzip'd when it was). */
  raw: Buffer;
  /** The body decoded: gunzipped when content-encoding said so, parsed as JSON when it is JSON. */
  json: unknown;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void;

export const ENROLL_TOKEN = `vgl_enroll_${'e'.repeat(32)}`;
export const AGENT_TOKEN = `vgl_agent_${'a'.repeat(40)}`;
const actionPair = generateKeyPairSync('ed25519');
/** The server's action key: its public half as the agent pins it, and the private half to sign with. */
export const ACTION_KEY = trustedKeyOf('action-1', actionPair.publicKey);
export const ACTION_SIGNER = { kid: ACTION_KEY.kid, privateKey: actionPair.privateKey };

/** A key set as the server signs it into a check-in answer (by default with ACTION_KEY, now). */
export function signedKeySet(
  assetId: string,
  keys: ActionKey[] = [ACTION_KEY],
  options: { issuedAt?: Date; signers?: Array<{ kid: string; privateKey: KeyObject }> } = {},
): SignedActionKeySet {
  const payload: ActionKeySetPayload = {
    schema: ACTION_KEY_SET_SCHEMA,
    assetId,
    keys,
    issuedAt: (options.issuedAt ?? new Date()).toISOString(),
  };
  return sealActionKeySet(payload, options.signers ?? [ACTION_SIGNER]);
}

export interface FakeVigilServer {
  url: string;
  assetId: string;
  requests: RecordedRequest[];
  /** What the default check-in handler answers; tests change it between runs. */
  checkIn: CheckInResponse;
  handle(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export function sendJson(response: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export function sendProblem(response: ServerResponse, status: number, title: string, detail?: string): void {
  sendJson(response, status, { type: 'about:blank', title, status, ...(detail ? { detail } : {}) }, 'application/problem+json');
}

export async function startFakeVigilServer(): Promise<FakeVigilServer> {
  const assetId = randomUUID();
  const requests: RecordedRequest[] = [];
  const handlers = new Map<string, Handler>();
  const fake: FakeVigilServer = {
    url: '',
    assetId,
    requests,
    checkIn: {
      serverTime: new Date().toISOString(),
      nextCheckInSeconds: 60,
      inventoryWanted: false,
      actionsPending: 0,
      actionKeySet: signedKeySet(assetId),
      update: null,
    },
    handle: (path, handler) => handlers.set(path, handler),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const authorized = (request: RecordedRequest, response: ServerResponse) => {
    if (request.headers.authorization === `Bearer ${AGENT_TOKEN}`) return true;
    sendProblem(response, 401, 'Unauthorized', 'the token is not valid');
    return false;
  };
  handlers.set(AGENT_PATHS.enroll, (request, response) => {
    const token = (request.json as { token?: string } | null)?.token;
    if (token !== ENROLL_TOKEN) return sendProblem(response, 401, 'Unauthorized', 'unknown or expired enrollment token');
    const answer: EnrollResponse = { assetId, agentToken: AGENT_TOKEN, actionKeys: [ACTION_KEY], checkInSeconds: 300 };
    sendJson(response, 201, answer);
  });
  handlers.set(AGENT_PATHS.checkIn, (request, response) => {
    if (authorized(request, response)) sendJson(response, 200, fake.checkIn);
  });
  handlers.set(AGENT_PATHS.inventory, (request, response) => {
    if (!authorized(request, response)) return;
    const receipt: InventoryReceipt = {
      digest: 'f'.repeat(64),
      changed: true,
      packages: { added: 1, removed: 0, changed: 0 },
      findings: { opened: 0, fixed: 0, reopened: 0, open: 0 },
    };
    sendJson(response, 200, receipt);
  });

  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = incoming.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {}
      const url = new URL(incoming.url ?? '/', 'http://fake');
      const request: RecordedRequest = {
        method: incoming.method ?? 'GET',
        path: url.pathname,
        query: url.search.slice(1),
        headers: incoming.headers,
        raw,
        json,
      };
      requests.push(request);
      const handler = handlers.get(url.pathname);
      if (handler) handler(request, response);
      else sendProblem(response, 404, 'Not Found');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
