import { gzipSync } from 'node:zlib';
import {
  type ActionList,
  type ActionResult,
  AGENT_PATHS,
  actionListSchema,
  actionResultSchema,
  type CheckInRequest,
  type CheckInResponse,
  checkInRequestSchema,
  checkInResponseSchema,
  type EnrollRequest,
  type EnrollResponse,
  enrollRequestSchema,
  enrollResponseSchema,
  type Inventory,
  type InventoryReceipt,
  inventoryReceiptSchema,
  inventorySchema,
  PROTOCOL_LIMITS,
  type ReleasePlatform,
  type SignedRelease,
  signedReleaseSchema,
} from '@vigil/protocol';
import type { z } from 'zod';
import { AgentPayloadError, AgentProtocolError, AgentRequestError } from './errors.ts';
import { send } from './http.ts';
import { parseServerUrl, serverEndpoint } from './server-url.ts';

export interface AgentClientOptions {
  server: string;
  /** The agent token; absent before enrollment (only `enroll` works then). */
  token?: string | null;
  agentVersion: string;
  /** Plain http to a non-loopback server, accepted because the operator asked for it. */
  insecureHttp?: boolean;
  /** Per request, for the JSON calls. */
  timeoutMs?: number;
  /** For `download`, which may move megabytes over a slow line. */
  downloadTimeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

/** The most the agent reads of a JSON answer: the API's own body limit. */
const MAX_JSON_ANSWER = PROTOCOL_LIMITS.bodyBytes;

/**
 * The agent's side of the protocol. Every message is checked against the protocol's schemas on
 * the way out (the agent never sends what the server would have to refuse) and on the way in (an
 * answer that does not parse is an error, never acted on). Used by the run loop, the actions
 * runner and the updater alike.
 */
export class AgentClient {
  readonly server: URL;
  private readonly token: string | null;
  private readonly agentVersion: string;
  private readonly insecureHttp: boolean;
  private readonly timeoutMs: number;
  private readonly downloadTimeoutMs: number;
  private readonly fetchImpl: typeof globalThis.fetch;

  constructor(options: AgentClientOptions) {
    this.insecureHttp = options.insecureHttp ?? false;
    this.server = parseServerUrl(options.server, { insecureHttp: this.insecureHttp });
    this.token = options.token ?? null;
    this.agentVersion = options.agentVersion;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.downloadTimeoutMs = options.downloadTimeoutMs ?? 10 * 60_000;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  /** Exchanges a one-time enrollment token (inside `request`) for this server's agent token. */
  async enroll(request: EnrollRequest): Promise<EnrollResponse> {
    const body = outgoing(enrollRequestSchema, request, 'enrollment request');
    return this.json('POST', AGENT_PATHS.enroll, enrollResponseSchema, jsonBody(body), false);
  }

  async checkIn(request: CheckInRequest): Promise<CheckInResponse> {
    const body = outgoing(checkInRequestSchema, request, 'check-in');
    return this.json('POST', AGENT_PATHS.checkIn, checkInResponseSchema, jsonBody(body), true);
  }

  /** Sends the inventory gzip'd; refuses, before sending, one the server's limits would refuse. */
  async sendInventory(inventory: Inventory): Promise<InventoryReceipt> {
    const body = gzipInventory(inventory);
    return this.json('POST', AGENT_PATHS.inventory, inventoryReceiptSchema, { body, contentEncoding: 'gzip' }, true);
  }

  async fetchActions(): Promise<ActionList> {
    return this.json('GET', AGENT_PATHS.actions, actionListSchema, null, true);
  }

  async reportActionResult(actionId: string, result: ActionResult): Promise<void> {
    const body = outgoing(actionResultSchema, result, 'action result');
    await this.request('POST', serverEndpoint(this.server, AGENT_PATHS.actionResult(actionId)), jsonBody(body), true, MAX_JSON_ANSWER);
  }

  /** The signed manifest of the release offered to this agent; null when the server offers none (204/404). */
  async fetchRelease(platform: ReleasePlatform = 'node'): Promise<SignedRelease | null> {
    const url = serverEndpoint(this.server, AGENT_PATHS.releaseManifest);
    url.searchParams.set('platform', platform);
    url.searchParams.set('current', this.agentVersion);
    try {
      const response = await this.request('GET', url, null, true, MAX_JSON_ANSWER);
      if (response.status === 204) return null;
      return incoming(signedReleaseSchema, response.body, AGENT_PATHS.releaseManifest);
    } catch (error) {
      if (error instanceof AgentRequestError && error.status === 404) return null;
      throw error;
    }
  }

  /**
   * Fetches a file (a release) of at most `maxBytes`. Relative URLs resolve against the server.
   * The bearer token goes only to the server's own origin, never to a mirror named in a manifest;
   * the content is trusted only after the caller checks its signed hash.
   */
  async download(url: string, maxBytes: number): Promise<Buffer> {
    const target = new URL(url, `${this.server.href}/`);
    parseServerUrl(target.origin, { insecureHttp: this.insecureHttp });
    const sameOrigin = target.origin === this.server.origin;
    const response = await this.request('GET', target, null, sameOrigin, maxBytes, this.downloadTimeoutMs);
    return response.body;
  }

  private async json<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    body: RequestBody | null,
    authenticated: boolean,
  ): Promise<z.infer<S>> {
    const response = await this.request(method, serverEndpoint(this.server, path), body, authenticated, MAX_JSON_ANSWER);
    return incoming(schema, response.body, path);
  }

  private async request(
    method: 'GET' | 'POST',
    url: URL,
    body: RequestBody | null,
    authenticated: boolean,
    maxResponseBytes: number,
    timeoutMs = this.timeoutMs,
  ) {
    const headers: Record<string, string> = { 'user-agent': `vigil-agent/${this.agentVersion}`, accept: 'application/json' };
    if (authenticated) {
      if (!this.token) throw new AgentPayloadError('this agent is not enrolled: no token to authenticate with');
      headers.authorization = `Bearer ${this.token}`;
    }
    if (body) {
      headers['content-type'] = 'application/json';
      if (body.contentEncoding) headers['content-encoding'] = body.contentEncoding;
    }
    return send({ method, url, headers, ...(body ? { body: body.body } : {}), timeoutMs, maxResponseBytes, fetch: this.fetchImpl });
  }
}

interface RequestBody {
  body: Buffer;
  contentEncoding?: 'gzip';
}

function jsonBody(value: unknown): RequestBody {
  return { body: Buffer.from(JSON.stringify(value), 'utf8') };
}

/** The inventory as it goes on the wire; AgentPayloadError when it breaks a protocol limit. */
export function gzipInventory(inventory: Inventory): Buffer {
  const valid = outgoing(inventorySchema, inventory, 'inventory');
  const json = Buffer.from(JSON.stringify(valid), 'utf8');
  if (json.byteLength > PROTOCOL_LIMITS.inflatedBytes) {
    throw new AgentPayloadError(
      `the inventory is ${json.byteLength} bytes of JSON, over the ${PROTOCOL_LIMITS.inflatedBytes}-byte limit: not sent`,
    );
  }
  const gzipped = gzipSync(json);
  if (gzipped.byteLength > PROTOCOL_LIMITS.bodyBytes) {
    throw new AgentPayloadError(
      `the inventory is ${gzipped.byteLength} bytes gzip'd, over the server's ${PROTOCOL_LIMITS.bodyBytes}-byte body limit: not sent`,
    );
  }
  return gzipped;
}

function outgoing<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AgentPayloadError(`the ${what} is not valid, not sent: ${firstIssue(parsed.error)}`);
  return parsed.data;
}

function incoming<S extends z.ZodType>(schema: S, body: Buffer, path: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AgentProtocolError(`the answer from ${path} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new AgentProtocolError(`the answer from ${path} does not match the protocol: ${firstIssue(parsed.error)}`);
  return parsed.data;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
}
