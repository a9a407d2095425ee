import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { KEY_PURPOSES, type KeyMaterial, type KeyPurpose, PURPOSE_NAMES, parseKeyVariable } from '../lib/keys/key-material.ts';
import { isMailAddress } from '../lib/mailer/address.ts';

/**
 * The one reader of `process.env`. Every variable Vigil understands is declared here, with its
 * default and what it allows; `docs/configuration.md` and the README table are written from it.
 * No variable has a default secret: keys are generated into the data directory on first boot.
 */

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

const port = z.coerce
  .number({ error: 'must be an integer between 1 and 65535' })
  .int('must be an integer between 1 and 65535')
  .min(1, 'must be an integer between 1 and 65535')
  .max(65535, 'must be an integer between 1 and 65535');

function positiveInt(max: number) {
  const message = `must be an integer between 1 and ${max}`;
  return z.coerce.number({ error: message }).int(message).min(1, message).max(max, message);
}

const postgresUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
    } catch {
      return false;
    }
  },
  { message: 'must be a postgres:// or postgresql:// URL' },
);

/** A comma-separated list: its entries trimmed, empty ones dropped. */
const commaList = (normalise: (entry: string) => string = (entry) => entry) =>
  z.string().transform((value) =>
    value
      .split(',')
      .map((entry) => normalise(entry.trim()))
      .filter((entry) => entry.length > 0),
  );

/** A comma-separated list of IP addresses or CIDR ranges, as Fastify's `trustProxy` takes them. */
const proxyList = commaList().refine(
  (entries) =>
    entries.every((entry) => {
      const [address, bits, ...rest] = entry.split('/');
      if (rest.length > 0 || address === undefined) return false;
      const family = isIP(address);
      if (family === 0) return false;
      if (bits === undefined) return true;
      const n = Number(bits);
      return Number.isInteger(n) && n >= 0 && n <= (family === 4 ? 32 : 128) && /^\d+$/.test(bits);
    }),
  { message: 'must be a comma-separated list of IP addresses or CIDR ranges (e.g. 10.0.0.1,192.168.0.0/16)' },
);

/** `name=url` pairs, comma-separated: the mirrors `vigil feeds sync` fetches each feed from. */
const mirrorList = commaList()
  .refine(
    (entries) =>
      entries.every((entry) => {
        const eq = entry.indexOf('=');
        if (eq < 1 || !/^[A-Za-z0-9][A-Za-z0-9:._/+-]{0,127}$/.test(entry.slice(0, eq))) return false;
        try {
          const url = new URL(entry.slice(eq + 1));
          return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
        } catch {
          return false;
        }
      }),
    {
      message:
        'must be a comma-separated list of feed=URL pairs (e.g. kev=https://mirror.example/kev.json), without credentials in the URL',
    },
  )
  .transform((entries) =>
    entries.map((entry) => {
      const eq = entry.indexOf('=');
      return { feed: entry.slice(0, eq), url: entry.slice(eq + 1) };
    }),
  );

const hostPortList = commaList((entry) => entry.toLowerCase()).refine(
  (entries) => entries.every((entry) => /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/.test(entry)),
  {
    message: 'must be a comma-separated list of host:port entries (e.g. mirror.lan:443)',
  },
);

/** The limits a deployment may tune, with their defaults (requests per window, per key). */
export const DEFAULT_RATE_LIMITS = {
  /** Login attempts per client IP. */
  login: { limit: 10, windowSeconds: 60 },
  /** Login attempts per account (email), whatever the IP: spreading guesses does not help. */
  login_account: { limit: 30, windowSeconds: 3600 },
  /** Second-factor attempts per challenge's user. */
  mfa: { limit: 10, windowSeconds: 60 },
  /** Password-reset requests per email. */
  password_reset: { limit: 3, windowSeconds: 3600 },
  /** Password-reset requests per client IP. */
  password_reset_ip: { limit: 20, windowSeconds: 3600 },
  /** Authenticated API requests per token (session, API key or agent token). */
  api: { limit: 600, windowSeconds: 60 },
  /** Unauthenticated requests to auth routes per client IP (refresh, invitations, passkeys). */
  public: { limit: 120, windowSeconds: 60 },
  /** Agent enrollments per client IP: each guess at a one-time token costs a lookup and a hash. */
  enroll: { limit: 10, windowSeconds: 60 },
} as const satisfies Record<string, RateLimitRule>;
export type RateLimitName = keyof typeof DEFAULT_RATE_LIMITS;
export interface RateLimitRule {
  limit: number;
  windowSeconds: number;
}
const WINDOWS: Readonly<Record<string, number>> = { s: 1, sec: 1, min: 60, m: 60, hour: 3600, h: 3600, day: 86_400, d: 86_400 };

/** `name=N/window` pairs, e.g. `login=20/min,password_reset=5/hour`. */
const rateLimitList = commaList()
  .refine(
    (entries) =>
      entries.every((entry) => {
        const match = /^([a-z_]+)=(\d{1,7})\/([a-z]+)$/.exec(entry);
        return match !== null && `${match[1]}` in DEFAULT_RATE_LIMITS && Number(match[2]) >= 1 && `${match[3]}` in WINDOWS;
      }),
    {
      message: `must be a comma-separated list of name=N/window (names: ${Object.keys(DEFAULT_RATE_LIMITS).join(', ')}; windows: s, min, hour, day), e.g. login=20/min`,
    },
  )
  .transform((entries) =>
    entries.map((entry) => {
      const [, name, count, window] = /^([a-z_]+)=(\d+)\/([a-z]+)$/.exec(entry) as unknown as [string, RateLimitName, string, string];
      return { name, limit: Number(count), windowSeconds: WINDOWS[window] as number };
    }),
  );

const flag = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');

const envSchema = z.object({
  HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  PORT: port.default(8080),
  PUBLIC_URL: z.string().optional(),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_MIGRATION_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: positiveInt(200).default(10),
  DATABASE_ALLOW_PRIVILEGED_LOGIN: flag.default(false),
  VIGIL_DATA_DIR: z.string().min(1, 'must not be empty').default('./.vigil-data'),
  AGENT_RELEASES_DIR: z.string().min(1, 'must not be empty').optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty'], { error: 'must be one of auto, json, pretty' }).default('auto'),
  TRUST_PROXY: proxyList.default([]),
  SHUTDOWN_TIMEOUT_MS: positiveInt(600_000).default(30_000),
  WORKER_CONCURRENCY: positiveInt(64).default(2),
  JOB_POLL_INTERVAL_S: positiveInt(60).default(2),
  FEED_MIRRORS: mirrorList.default([]),
  FEED_MAX_AGE_HOURS: positiveInt(8760).default(48),
  FEED_SYNC_CRON: z
    .string()
    .refine((value) => /^\S+(\s+\S+){4}$/.test(value.trim()), {
      message: 'must be a five-field cron expression (UTC), e.g. "17 */6 * * *"',
    })
    .default('17 */6 * * *'),
  OUTBOUND_ALLOW_HTTP: flag.default(false),
  OUTBOUND_ALLOW_PRIVATE_HOSTS: hostPortList.default([]),
  OUTBOUND_MAX_MB: positiveInt(65_536).default(2048),
  OUTBOUND_TIMEOUT_S: positiveInt(86_400).default(600),
  // Checked after parsing (parseMail): the URL carries the SMTP password.
  SMTP_URL: z.string().optional(),
  SMTP_ALLOW_PLAINTEXT: flag.default(false),
  MAIL_FROM: z.string().optional(),
  // Keys: checked after parsing (parseKeys), so that no message can quote them.
  JWT_SIGNING_KEY: z.string().optional(),
  MFA_KEK: z.string().optional(),
  CREDENTIALS_KEK: z.string().optional(),
  REPORT_SIGNING_KEY: z.string().optional(),
  ACTION_SIGNING_KEY: z.string().optional(),
  ACTION_APPROVAL_TTL_HOURS: positiveInt(720).default(24),
  ACTION_RUN_TTL_MINUTES: positiveInt(1440).default(60),
  LOGIN_LOCKOUT_AFTER: positiveInt(100).default(5),
  LOGIN_LOCKOUT_BASE_S: positiveInt(3600).default(30),
  LOGIN_LOCKOUT_MAX_S: positiveInt(86_400).default(3600),
  SESSION_IDLE_HOURS: positiveInt(8760).default(168),
  SESSION_MAX_DAYS: positiveInt(365).default(30),
  REQUIRE_MFA: flag.default(false),
  PASSWORD_RANGE_CHECK_URL: z.string().optional(),
  WEBAUTHN_RP_ID: z.string().optional(),
  RATE_LIMITS: rateLimitList.default([]),
  RATE_LIMIT_STORE: z
    .enum(['auto', 'memory', 'postgres', 'redis'], { error: 'must be one of auto, memory, postgres, redis' })
    .default('auto'),
  // Checked after parsing (parseRateLimits): the URL may carry a password.
  REDIS_URL: z.string().optional(),
});

export type Env = z.input<typeof envSchema>;

export interface Config {
  host: string;
  port: number;
  /** Origin and base path every link the server writes starts with; never taken from `Host`. */
  publicUrl: URL;
  /** True when the public URL is https: turns on HSTS and `Secure` cookies. */
  tls: boolean;
  database:
    | { kind: 'pglite'; dataDir: string }
    | {
        kind: 'postgres';
        url: string;
        migrationUrl: string;
        poolMax: number;
        dataDir: string;
        /** Accept a superuser/owner login (weaker: SQL injection could leave the app role). */
        allowPrivilegedLogin?: boolean;
      };
  dataDir: string;
  /** Signed agent releases an operator published (`<platform>/<version>/`); the server only serves them. */
  releases: { dir: string };
  log: { level: string; pretty: boolean };
  trustProxy: string[];
  shutdownTimeoutMs: number;
  jobs: { concurrency: number; pollIntervalSeconds: number };
  feeds: {
    mirrors: Array<{ feed: string; url: string }>;
    maxAgeHours: number;
    /** When the scheduled sync runs (cron, UTC). */
    syncCron: string;
  };
  /** The outbound guard's policy: every request Vigil makes to another host goes through it. */
  outbound: {
    allowHttp: boolean;
    allowPrivateHosts: string[];
    maxBytes: number;
    timeoutMs: number;
  };
  /**
   * Outgoing mail. `smtp` null: messages land in the `vigil.mail_outbox` table instead (and the
   * dev log), which is how a fresh install and the tests work without a mail server.
   */
  mail: {
    smtp: {
      /** smtps:// (TLS from the first byte) or smtp:// (STARTTLS, required unless allowPlaintext). */
      url: string;
      allowPlaintext: boolean;
      from: string;
    } | null;
  };
  /**
   * One key per purpose. A purpose whose variable is set uses those keys (the first active, the
   * others verify-only); any other purpose uses `<dir>/<purpose>.json`, generated on first start.
   */
  keys: {
    dir: string;
    fromEnv: Partial<Record<KeyPurpose, KeyMaterial[]>>;
  };
  auth: {
    /** Failed logins (per account name) before the first lockout. */
    lockoutAfter: number;
    /** The first lockout's length; each further failure doubles it, up to `lockoutMaxSeconds`. */
    lockoutBaseSeconds: number;
    lockoutMaxSeconds: number;
    /** A refresh token's session ends after this long unused… */
    sessionIdleSeconds: number;
    /** …and after this long in any case. */
    sessionMaxSeconds: number;
    /** Every member of every organization must use a second factor (an org can also require it). */
    requireMfa: boolean;
    /** k-anonymity range endpoint for breached-password checks; null: off. */
    passwordRangeCheckUrl: string | null;
    /** The WebAuthn relying party id: the public URL's host unless set. */
    webauthnRpId: string;
  };
  /** Approved actions: how long a request waits for approval, and how long a signed action may still run. */
  actions: { approvalTtlHours: number; runTtlMinutes: number };
  rateLimit: {
    rules: Record<RateLimitName, RateLimitRule>;
    /** memory: one process (embedded); postgres: shared by every process; redis: shared, via REDIS_URL. */
    store: 'memory' | 'postgres' | 'redis';
    redisUrl: string | null;
  };
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

// Values echoed in configuration errors: a URL may carry a password, which must not reach a
// terminal log or a CI transcript.
const URL_VARIABLES = new Set(['DATABASE_URL', 'DATABASE_MIGRATION_URL', 'PUBLIC_URL', 'SMTP_URL', 'REDIS_URL']);
// Key variables are secret through and through: not even their start is shown.
const SECRET_VARIABLES = new Set<string>(PURPOSE_NAMES.map((purpose) => KEY_PURPOSES[purpose].variable));

function shown(variable: string, value: string): string {
  if (SECRET_VARIABLES.has(variable)) return `${value.length} characters, not shown`;
  // Mirror URLs may carry an access token in their query: never echo them.
  if (variable === 'FEED_MIRRORS') return `${value.length} characters, not shown`;
  if (!URL_VARIABLES.has(variable) || !value.includes('@')) return value;
  // scheme://user:password@host → scheme://user:***@host; anything else with an @ in it may be
  // credentials in a shape we do not recognise, so only its start is shown.
  const masked = value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^@/]*@/i, '$1***@');
  return masked !== value || /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*@/i.test(value) ? masked : `${value.slice(0, value.indexOf(':') + 1)}…`;
}

function parsePublicUrl(raw: string | undefined, host: string, port: number): URL {
  if (raw === undefined && !LOOPBACK_HOSTS.has(host) && host !== '0.0.0.0' && host !== '::') {
    throw new ConfigError(
      'PUBLIC_URL',
      `must be set (to the https URL people reach Vigil at) when HOST is not loopback (HOST is "${host}")`,
    );
  }
  const fallbackHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const value = raw ?? `http://${isIP(fallbackHost) === 6 ? `[${fallbackHost}]` : fallbackHost}:${port}`;
  const got = shown('PUBLIC_URL', value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('PUBLIC_URL', `must be an absolute http(s) URL (got "${got}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('PUBLIC_URL', `must use https (or http on a loopback host) (got "${got}")`);
  }
  // Links in emails and reports travel outside the machine: plain http would hand session
  // and reset links to anyone on the path, so it is only allowed for a local-only install.
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new ConfigError('PUBLIC_URL', `must use https unless the host is loopback (got "${got}")`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError('PUBLIC_URL', `must not carry credentials, a query or a fragment (got "${got}")`);
  }
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url;
}

function checkMailFrom(value: string | undefined): void {
  if (value === undefined || isMailAddress(value)) return;
  // JSON-quoted so that a line break in the value cannot forge a second log line.
  throw new ConfigError('MAIL_FROM', `must be one email address like vigil@example.com (got ${JSON.stringify(value)})`);
}

function parseMail(e: { SMTP_URL?: string; SMTP_ALLOW_PLAINTEXT: boolean; MAIL_FROM?: string }): Config['mail'] {
  checkMailFrom(e.MAIL_FROM);
  if (e.SMTP_URL === undefined) return { smtp: null };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a line break must not forge a log line
  const got = shown('SMTP_URL', e.SMTP_URL).replace(/[\u0000-\u001f\u007f]/g, '?');
  let url: URL;
  try {
    url = new URL(e.SMTP_URL);
  } catch {
    throw new ConfigError('SMTP_URL', `must be an smtp:// or smtps:// URL (got "${got}")`);
  }
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname || url.search || url.hash) {
    throw new ConfigError('SMTP_URL', `must be an smtp:// or smtps:// URL without a query or fragment (got "${got}")`);
  }
  if (e.MAIL_FROM === undefined) {
    throw new ConfigError('MAIL_FROM', 'must be set (to the sender address, e.g. vigil@example.com) when SMTP_URL is set');
  }
  return { smtp: { url: e.SMTP_URL, allowPlaintext: e.SMTP_ALLOW_PLAINTEXT, from: e.MAIL_FROM } };
}

function parseKeys(env: Readonly<Record<string, string | undefined>>, dataDir: string): Config['keys'] {
  const fromEnv: Config['keys']['fromEnv'] = {};
  const seen = new Map<string, string>();
  for (const purpose of PURPOSE_NAMES) {
    const variable = KEY_PURPOSES[purpose].variable;
    const value = env[variable];
    if (value === undefined) continue;
    const parsed = parseKeyVariable(purpose, value);
    if (!parsed.ok) throw new ConfigError(variable, parsed.problem);
    // One key serving two purposes undoes their separation: a leak or rotation of one is both.
    for (const fingerprint of parsed.fingerprints) {
      const other = seen.get(fingerprint);
      if (other !== undefined) throw new ConfigError(variable, `holds a key that ${other} also holds; every purpose needs its own key`);
      seen.set(fingerprint, variable);
    }
    fromEnv[purpose] = parsed.keys;
  }
  return { dir: path.join(dataDir, 'keys'), fromEnv };
}

/** Validates the environment; throws `ConfigError` naming the first wrong variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, opts: { isTTY?: boolean } = {}): Config {
  const known: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    // An empty variable means "unset", as shells make it easy to export one by accident.
    if (value !== undefined && value !== '') known[key] = value;
  }
  const parsed = envSchema.safeParse(known);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    const got = known[variable];
    throw new ConfigError(variable, `${issue?.message ?? 'is invalid'}${got === undefined ? '' : ` (got "${shown(variable, got)}")`}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.VIGIL_DATA_DIR);
  const database: Config['database'] = e.DATABASE_URL
    ? {
        kind: 'postgres',
        url: e.DATABASE_URL,
        migrationUrl: e.DATABASE_MIGRATION_URL ?? e.DATABASE_URL,
        poolMax: e.DATABASE_POOL_MAX,
        dataDir,
        allowPrivilegedLogin: e.DATABASE_ALLOW_PRIVILEGED_LOGIN,
      }
    : { kind: 'pglite', dataDir };
  if (!e.DATABASE_URL && e.DATABASE_MIGRATION_URL) {
    throw new ConfigError('DATABASE_MIGRATION_URL', 'is only used together with DATABASE_URL');
  }
  const publicUrl = parsePublicUrl(e.PUBLIC_URL, e.HOST, e.PORT);
  const keys = parseKeys(known, dataDir);
  const mail = parseMail(e);
  return {
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    tls: publicUrl.protocol === 'https:',
    database,
    dataDir,
    releases: { dir: path.resolve(e.AGENT_RELEASES_DIR ?? path.join(dataDir, 'releases')) },
    log: {
      level: e.LOG_LEVEL,
      pretty: e.LOG_FORMAT === 'pretty' || (e.LOG_FORMAT === 'auto' && opts.isTTY === true),
    },
    trustProxy: e.TRUST_PROXY,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    jobs: { concurrency: e.WORKER_CONCURRENCY, pollIntervalSeconds: e.JOB_POLL_INTERVAL_S },
    feeds: { mirrors: e.FEED_MIRRORS, maxAgeHours: e.FEED_MAX_AGE_HOURS, syncCron: e.FEED_SYNC_CRON.trim() },
    outbound: {
      allowHttp: e.OUTBOUND_ALLOW_HTTP,
      allowPrivateHosts: e.OUTBOUND_ALLOW_PRIVATE_HOSTS,
      maxBytes: e.OUTBOUND_MAX_MB * 1024 * 1024,
      timeoutMs: e.OUTBOUND_TIMEOUT_S * 1000,
    },
    mail,
    keys,
    auth: {
      lockoutAfter: e.LOGIN_LOCKOUT_AFTER,
      lockoutBaseSeconds: e.LOGIN_LOCKOUT_BASE_S,
      lockoutMaxSeconds: Math.max(e.LOGIN_LOCKOUT_MAX_S, e.LOGIN_LOCKOUT_BASE_S),
      sessionIdleSeconds: Math.min(e.SESSION_IDLE_HOURS * 3600, e.SESSION_MAX_DAYS * 86_400),
      sessionMaxSeconds: e.SESSION_MAX_DAYS * 86_400,
      requireMfa: e.REQUIRE_MFA,
      passwordRangeCheckUrl: parseRangeCheckUrl(e.PASSWORD_RANGE_CHECK_URL),
      webauthnRpId: parseRpId(e.WEBAUTHN_RP_ID, publicUrl),
    },
    actions: { approvalTtlHours: e.ACTION_APPROVAL_TTL_HOURS, runTtlMinutes: e.ACTION_RUN_TTL_MINUTES },
    rateLimit: parseRateLimits(e, database.kind),
  };
}

function parseRangeCheckUrl(value: string | undefined): string | null {
  if (value === undefined) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('PASSWORD_RANGE_CHECK_URL', 'must be an https:// URL (the 5-character hash prefix is appended)');
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) {
    throw new ConfigError('PASSWORD_RANGE_CHECK_URL', 'must be an https:// URL without credentials, query or fragment');
  }
  return url.toString();
}

function parseRpId(value: string | undefined, publicUrl: URL): string {
  if (value === undefined) return publicUrl.hostname;
  const id = value.toLowerCase();
  // WebAuthn requires the RP id to be the origin's host or a registrable suffix of it.
  if (!/^[a-z0-9.-]{1,253}$/.test(id) || !(publicUrl.hostname === id || publicUrl.hostname.endsWith(`.${id}`))) {
    throw new ConfigError('WEBAUTHN_RP_ID', `must be the PUBLIC_URL host (${publicUrl.hostname}) or a parent domain of it`);
  }
  return id;
}

function parseRateLimits(
  e: { RATE_LIMITS: Array<{ name: RateLimitName; limit: number; windowSeconds: number }>; RATE_LIMIT_STORE: string; REDIS_URL?: string },
  databaseKind: 'pglite' | 'postgres',
): Config['rateLimit'] {
  const rules = Object.fromEntries(Object.entries(DEFAULT_RATE_LIMITS).map(([name, rule]) => [name, { ...rule }])) as Record<
    RateLimitName,
    RateLimitRule
  >;
  for (const { name, limit, windowSeconds } of e.RATE_LIMITS) rules[name] = { limit, windowSeconds };
  let redisUrl: string | null = null;
  if (e.REDIS_URL !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(e.REDIS_URL);
    } catch {}
    if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
      throw new ConfigError('REDIS_URL', `must be a redis:// or rediss:// URL (got "${shown('REDIS_URL', e.REDIS_URL)}")`);
    }
    redisUrl = e.REDIS_URL;
  }
  const chosen = e.RATE_LIMIT_STORE;
  if (chosen === 'redis' && !redisUrl) throw new ConfigError('RATE_LIMIT_STORE', 'is redis but REDIS_URL is not set');
  if (chosen === 'postgres' && databaseKind !== 'postgres') {
    throw new ConfigError('RATE_LIMIT_STORE', 'is postgres but DATABASE_URL is not set (the embedded database serves one process)');
  }
  const store =
    chosen === 'auto'
      ? redisUrl
        ? 'redis'
        : databaseKind === 'postgres'
          ? 'postgres'
          : 'memory'
      : (chosen as Config['rateLimit']['store']);
  return { rules, store, redisUrl };
}

/** Builds an absolute link under the configured public URL; `Host` headers never reach here. */
export function publicLink(config: Pick<Config, 'publicUrl'>, relativePath: string, hash?: string): string {
  const url = new URL(relativePath.replace(/^\/+/, ''), config.publicUrl);
  if (hash !== undefined) url.hash = hash;
  return url.toString();
}

/** Every documented variable, for `vigil --help` and the docs test that keeps README in step. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);
