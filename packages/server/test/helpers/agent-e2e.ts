import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Database } from '../../src/db/database.ts';
import { importFeed } from '../../src/modules/intel/feed-import.service.ts';
import { identifySource } from '../../src/modules/intel/feed-source.ts';
import { type Finished, killGroup, REPO_DIR, start } from './processes.ts';

/**
 * Support for test/agent-e2e.test.ts: the fixture feeds, the real `vigil-agent` as a child
 * process, and a small JSON client for the server's loopback listener.
 */

/** `shared/` sits beside the repository (as in CI's clean clone). */
export const FIXTURES = path.resolve(import.meta.dirname, '../../../../../shared/fixtures');
const AGENT_BIN = path.join(REPO_DIR, 'packages/agent/bin/vigil-agent.js');

/** Only what the test's fake root can match: bionic USNs, KEV, the WordPress advisories. */
export const E2E_FEEDS = [
  'osv/ubuntu-usn',
  'kev/known_exploited_vulnerabilities.json',
  'wordpress/wpsecadv-wordfence-derived-31-files.zip',
];

export async function importFixtureFeeds(database: Database): Promise<void> {
  for (const relative of E2E_FEEDS) {
    const report = await importFeed(database, await identifySource(path.join(FIXTURES, relative)));
    if (report.status !== 'imported') throw new Error(`${relative} was not imported: ${report.status}`);
  }
}

export async function readFixtureJson<T>(relative: string): Promise<T> {
  return JSON.parse(await readFile(path.join(FIXTURES, relative), 'utf8')) as T;
}

/** A machine for the agent: its own config and state directories, and a PATH with no tools on it. */
export interface AgentMachine {
  base: string;
  configDir: string;
  stateDir: string;
  /** Runs `vigil-agent ARGS` as a child process (node + tsx on the sources) to its end. */
  agent(args: string[], timeoutMs?: number): Promise<Finished>;
  cleanup(): Promise<void>;
}

export async function createAgentMachine(): Promise<AgentMachine> {
  const base = await mkdtemp(path.join(tmpdir(), 'vigil-agent-e2e-'));
  const configDir = path.join(base, 'etc/vigil-agent');
  const stateDir = path.join(base, 'var/lib/vigil-agent');
  const noTools = path.join(base, 'no-tools');
  await mkdir(noTools, { recursive: true });
  // Nothing of the parent's environment but HOME: no stray VIGIL_* setting, no rpm from the host.
  const env = {
    PATH: noTools,
    HOME: base,
    VIGIL_AGENT_CONFIG_DIR: configDir,
    VIGIL_AGENT_STATE_DIR: stateDir,
    VIGIL_AGENT_SYSTEMD_UNIT: path.join(base, 'systemd/vigil-agent.service'),
  };
  return {
    base,
    configDir,
    stateDir,
    async agent(args, timeoutMs = 60_000) {
      const running = start(process.execPath, [AGENT_BIN, ...args], env, REPO_DIR);
      const timer = setTimeout(() => killGroup(running.child, 'SIGKILL'), timeoutMs);
      try {
        return await running.exited;
      } finally {
        clearTimeout(timer);
      }
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

/** A JSON client for the API on the loopback listener, as one logged-in person. */
export function apiClient(origin: string, accessToken: string) {
  async function call<T>(method: string, url: string, body?: unknown): Promise<JsonResponse<T>> {
    const response = await fetch(new URL(url, origin), {
      method,
      headers: { authorization: `Bearer ${accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }
  return {
    get: <T>(url: string) => call<T>('GET', url),
    post: <T>(url: string, body: unknown) => call<T>('POST', url, body),
    delete: <T>(url: string) => call<T>('DELETE', url),
    /** Every item of a cursor-paginated list. */
    async all<T>(url: string): Promise<T[]> {
      const items: T[] = [];
      let cursor: string | null = null;
      do {
        const page: string = cursor ? `${url}${url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}` : url;
        const response = await call<{ items: T[]; nextCursor: string | null }>('GET', page);
        if (response.status !== 200) throw new Error(`GET ${page} answered ${response.status}: ${JSON.stringify(response.body)}`);
        items.push(...response.body.items);
        cursor = response.body.nextCursor;
      } while (cursor);
      return items;
    },
  };
}
export type ApiClient = ReturnType<typeof apiClient>;

export async function loginOverHttp(origin: string, email: string, password: string): Promise<string> {
  const response = await fetch(new URL('/api/v1/auth/login', origin), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, refreshTokenDelivery: 'body' }),
  });
  const body = (await response.json()) as { accessToken?: string };
  if (response.status !== 200 || !body.accessToken) throw new Error(`login answered ${response.status}: ${JSON.stringify(body)}`);
  return body.accessToken;
}

/** Package name → version of every installed paragraph of a dpkg status file (read here, not by the code under test). */
export async function installedDpkgVersions(statusFile: string): Promise<Map<string, string>> {
  const installed = new Map<string, string>();
  for (const paragraph of (await readFile(statusFile, 'utf8')).split(/\n\s*\n/)) {
    const field = (name: string) => paragraph.match(new RegExp(`^${name}: (.*)$`, 'm'))?.[1]?.trim();
    const name = field('Package');
    const version = field('Version');
    if (name && version && field('Status') === 'install ok installed') installed.set(name, version);
  }
  return installed;
}
