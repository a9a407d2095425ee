import { randomUUID } from 'node:crypto';

/**
 * Requests generated from the OpenAPI document, so a table-driven test covers every route the
 * app serves, including routes added after the test was written. Every id a request can carry
 * (path parameter, query parameter, body field) is filled from a pool chosen by the test: an
 * id the caller must not reach. An id-like name this file cannot map is reported, not guessed.
 */

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
}

interface RawOperation {
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export type IdKind =
  | 'organization'
  | 'client'
  | 'asset'
  | 'member'
  | 'user'
  | 'apiKey'
  | 'session'
  | 'passkey'
  | 'invitation'
  | 'mail'
  | 'auditEntry'
  | 'finding'
  | 'inventory';

/** What each id-bearing name means. A new name must be added here (the test fails until it is). */
export const ID_NAMES: Readonly<Record<string, IdKind>> = {
  orgId: 'organization',
  organizationId: 'organization',
  clientId: 'client',
  assetId: 'asset',
  memberId: 'member',
  membershipId: 'member',
  userId: 'user',
  actor: 'user',
  apiKeyId: 'apiKey',
  agentTokenId: 'apiKey',
  // Enrollment tokens are credentials as API keys are; another realm's key ids stand for them.
  enrollmentTokenId: 'apiKey',
  sessionId: 'session',
  passkeyId: 'passkey',
  invitationId: 'invitation',
  messageId: 'mail',
  mailId: 'mail',
  outboxId: 'mail',
  auditId: 'auditEntry',
  entryId: 'auditEntry',
  // The audit filter takes any object's id; an asset stands for them all.
  targetId: 'asset',
  findingId: 'finding',
  findingIds: 'finding',
  // A filter under an asset's path (the asset id is what the matrix probes there).
  inventoryId: 'inventory',
  // No action exists in the tenancy world; another organization's asset id stands for one (404).
  actionId: 'asset',
};

export interface Operation {
  method: string;
  /** The path template, e.g. `/api/v1/clients/{clientId}`. */
  path: string;
  label: string;
  /** The document says so itself (`security: []`). */
  declaredPublic: boolean;
  pathParams: string[];
  query: Array<{ name: string; required: boolean; schema: JsonSchema }>;
  body: JsonSchema | null;
  doc: OpenApiDocument;
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, raw]) => {
        const params = raw.parameters ?? [];
        return {
          method: method.toUpperCase(),
          path,
          label: `${method.toUpperCase()} ${path}`,
          declaredPublic: Array.isArray(raw.security) && raw.security.length === 0,
          pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
          query: params
            .filter((p) => p.in === 'query')
            .map((p) => ({ name: p.name, required: p.required === true, schema: p.schema ?? {} })),
          body: raw.requestBody?.content?.['application/json']?.schema ?? null,
          doc,
        };
      }),
  );
}

function resolve(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  return resolve(doc, doc.components?.schemas?.[name] ?? {});
}

/** The branch a generated value takes: the first one that is not `null`. */
function branch(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  const s = resolve(doc, schema);
  const options = s.anyOf ?? s.oneOf;
  if (options) return branch(doc, options.find((o) => resolve(doc, o).type !== 'null') ?? options[0] ?? {});
  if (s.allOf) {
    const parts = s.allOf.map((part) => branch(doc, part));
    return {
      ...Object.assign({}, ...parts),
      properties: Object.assign({}, ...parts.map((p) => p.properties)),
      required: parts.flatMap((p) => p.required ?? []),
    };
  }
  return s;
}

/**
 * Names ending in `Id` that are not Vigil objects: WebAuthn's credential id is the authenticator's
 * bytes; an agent's machineId is the server's /etc/machine-id.
 */
const NOT_OBJECT_IDS: ReadonlySet<string> = new Set(['rawId', 'machineId']);

function isIdLike(name: string, schema: JsonSchema): boolean {
  return schema.format === 'uuid' || (/Ids?$/.test(name) && !NOT_OBJECT_IDS.has(name));
}

/** Every id-like field an operation takes, as `where name` → its kind (null: not mapped). */
export function idFieldsOf(op: Operation): Array<{ where: string; name: string; kind: IdKind | null }> {
  const out: Array<{ where: string; name: string; kind: IdKind | null }> = [];
  const add = (where: string, name: string) => out.push({ where, name, kind: ID_NAMES[name] ?? null });
  for (const name of op.pathParams) add('path', name);
  for (const q of op.query) if (isIdLike(q.name, branch(op.doc, q.schema))) add('query', q.name);
  const walk = (schema: JsonSchema, at: string, depth: number) => {
    const s = branch(op.doc, schema);
    if (depth > 8) return;
    if (s.items) walk(s.items, `${at}[]`, depth + 1);
    for (const [name, child] of Object.entries(s.properties ?? {})) {
      const c = branch(op.doc, child);
      if (isIdLike(name, c.items ? branch(op.doc, c.items) : c)) add(`body ${at}${name}`, name);
      else walk(child, `${at}${name}.`, depth + 1);
    }
  };
  if (op.body) walk(op.body, '', 0);
  return out;
}

export interface ProbeRequest {
  method: string;
  url: string;
  payload?: unknown;
}

/** Picks the i-th id of a kind from the pool (undefined: the pool has none of that kind). */
type Pick = (kind: IdKind) => string | undefined;

const STRING_CANDIDATES = ['probe', 'Probe', 'probe_1', 'probe.one', 'PROBE', '1', 'a'];

/** A string the schema accepts, shaped by the field's name where the schema says too little. */
function sampleString(s: JsonSchema, name: string): string {
  if (s.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
  if (s.format === 'email' || /email/i.test(name)) return `probe-${randomUUID().slice(0, 8)}@example.test`;
  if (s.format === 'uri' || s.format === 'url' || /url$/i.test(name)) return 'https://example.test/';
  if (/password/i.test(name)) return `Probe-Password-${randomUUID()}`;
  const fits = (v: string) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? 1e9);
  const candidates = STRING_CANDIDATES.map((c) => c.padEnd(s.minLength ?? 0, 'x'));
  const pattern = s.pattern ? new RegExp(s.pattern) : null;
  return candidates.find((c) => fits(c) && (!pattern || pattern.test(c))) ?? 'probe';
}

interface SampleContext {
  doc: OpenApiDocument;
  pick: Pick;
  /** Which value each enum takes, by location (default: the first). */
  choice: Map<string, number>;
  /** Every enum met, by location, with its number of values. */
  enums: Map<string, number>;
}

const OMIT = Symbol('omit');

function sample(schema: JsonSchema, name: string, at: string, ctx: SampleContext, depth = 0): unknown {
  const s = branch(ctx.doc, schema);
  if (s.const !== undefined) return s.const;
  if (s.enum) {
    ctx.enums.set(at, s.enum.length);
    return s.enum[ctx.choice.get(at) ?? 0];
  }
  if (s.type === 'array') {
    const items = branch(ctx.doc, s.items ?? {});
    if (isIdLike(name, items)) {
      const kind = ID_NAMES[name];
      const id = kind && ctx.pick(kind);
      return id ? [id] : OMIT;
    }
    return Array.from({ length: s.minItems ?? 0 }, (_, i) => sample(items, name, `${at}[${i}]`, ctx, depth + 1));
  }
  if (isIdLike(name, s)) {
    const kind = ID_NAMES[name];
    return (kind && ctx.pick(kind)) ?? (s.format === 'uuid' ? randomUUID() : OMIT);
  }
  if (s.type === 'string') return sampleString(s, name);
  if (s.type === 'integer' || s.type === 'number') return Math.min(s.minimum ?? 1, s.maximum ?? Number.MAX_SAFE_INTEGER);
  if (s.type === 'boolean') return false;
  if (s.type === 'null') return null;
  if (s.type === 'object' || s.properties) {
    const out: Record<string, unknown> = {};
    const required = new Set(s.required ?? []);
    for (const [key, child] of Object.entries(s.properties ?? {})) {
      // Required fields, and every field naming an object: that is what the test is about.
      if (!required.has(key) && !carriesId(ctx.doc, key, child, depth)) continue;
      const value = sample(child, key, `${at}.${key}`, ctx, depth + 1);
      if (value !== OMIT) out[key] = value;
    }
    return out;
  }
  return 'probe';
}

function carriesId(doc: OpenApiDocument, name: string, schema: JsonSchema, depth: number): boolean {
  if (depth > 8) return false;
  const s = branch(doc, schema);
  if (isIdLike(name, s.items ? branch(doc, s.items) : s)) return true;
  return Object.entries(s.properties ?? {}).some(([key, child]) => carriesId(doc, key, child, depth + 1));
}

/** A body for each enum value (one enum varied at a time), the first values elsewhere. */
export function bodiesFor(doc: OpenApiDocument, schema: JsonSchema, pick: Pick): unknown[] {
  const base: SampleContext = { doc, pick, choice: new Map(), enums: new Map() };
  const bodies = [sample(schema, '', '', base)];
  for (const [at, count] of base.enums) {
    for (let value = 1; value < count; value++) {
      bodies.push(sample(schema, '', '', { doc, pick, choice: new Map([[at, value]]), enums: new Map() }));
    }
  }
  return bodies.filter((b) => b !== OMIT);
}

/**
 * The requests that put ids from `pool` into `op`: path parameters (the i-th id of each kind,
 * round robin), id fields of the body, and, for an operation without path parameters, each id
 * query parameter on its own. Empty when the operation has nowhere to put an id, or when a path
 * parameter's kind has no id in the pool.
 */
export function probesFor(op: Operation, pool: Partial<Record<IdKind, readonly string[]>>): ProbeRequest[] {
  const fields = idFieldsOf(op);
  const kinds = [...new Set(fields.map((f) => f.kind).filter((k): k is IdKind => k !== null))];
  const pathKinds = op.pathParams.map((name) => ID_NAMES[name]);
  if (pathKinds.some((k) => !k || !pool[k]?.length)) return [];
  const rounds = Math.max(1, ...kinds.map((k) => pool[k]?.length ?? 0));
  const probes: ProbeRequest[] = [];
  for (let i = 0; i < rounds; i++) {
    const pick: Pick = (kind) => {
      const ids = pool[kind] ?? [];
      return ids.length ? ids[i % ids.length] : undefined;
    };
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(pick(ID_NAMES[name] as IdKind) ?? ''));
    const required = requiredQuery(op, pick);
    const queries: Array<Array<[string, string]>> = [required];
    if (op.pathParams.length === 0) {
      for (const q of op.query) {
        const kind = ID_NAMES[q.name];
        const id = kind && isIdLike(q.name, branch(op.doc, q.schema)) ? pick(kind) : undefined;
        if (id && !q.required) queries.push([...required, [q.name, id]]);
      }
      // Without an id in the path, the plain query is no probe unless the body carries one.
      if (!op.body || !carriesId(op.doc, '', op.body, 0)) queries.shift();
    }
    const bodies = op.body ? bodiesFor(op.doc, op.body, pick) : [undefined];
    for (const query of queries) {
      const url = query.length ? `${path}?${new URLSearchParams(query)}` : path;
      for (const payload of query.length > required.length ? [bodies[0]] : bodies) probes.push({ method: op.method, url, payload });
    }
  }
  return dedupe(probes);
}

function requiredQuery(op: Operation, pick: Pick): Array<[string, string]> {
  const ctx: SampleContext = { doc: op.doc, pick, choice: new Map(), enums: new Map() };
  return op.query.filter((q) => q.required).map((q) => [q.name, String(sample(q.schema, q.name, q.name, ctx))]);
}

function dedupe(probes: ProbeRequest[]): ProbeRequest[] {
  const seen = new Set<string>();
  return probes.filter((p) => {
    const key = `${p.method} ${p.url} ${JSON.stringify(p.payload)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every operation's URL with stand-in values, for requests that stop at the auth gate. */
export function placeholderUrl(op: Operation): string {
  return op.path.replace(/\{\w+\}/g, () => randomUUID());
}

/** The operation's URL with its required query parameters and no ids: how a list is read. */
export function plainUrl(op: Operation): string {
  const query = requiredQuery(op, () => undefined);
  return query.length ? `${op.path}?${new URLSearchParams(query)}` : op.path;
}
