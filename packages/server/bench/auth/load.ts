/**
 * The load side of the login benchmark: N concurrent clients, each on its own keep-alive
 * connection, posting logins back to back for a fixed time; and the /healthz probe run beside
 * them in a separate process.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { start } from '../../test/helpers/processes.ts';
import type { Account } from './server.ts';

const PROBE = fileURLToPath(new URL('./healthz-probe.ts', import.meta.url));

export type LoginKind = 'correct password' | 'wrong password' | 'unknown account';

export interface LoadResult {
  seconds: number;
  /** Answers with the status this kind of login should get (200, or 401 for failures). */
  expected: number;
  /** Any other answer, by status: a lockout or rate limit here would mean no hash was computed. */
  unexpected: Record<number, number>;
  latencies: number[];
}

export const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

function post(agent: Agent, url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error('login timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

function credentials(kind: LoginKind, account: Account): { email: string; password: string } {
  if (kind === 'correct password') return account;
  if (kind === 'wrong password') return { email: account.email, password: `${account.password}-wrong` };
  // A new address each time, of the same length class as a real one; never an account.
  return { email: `nobody-${randomBytes(6).toString('hex')}@bench.example`, password: account.password };
}

/**
 * Logins one at a time, the three kinds taken in turn so that drift in the machine's load touches
 * each alike: the latency an attacker probing for accounts would compare. Latencies in ms, sorted.
 */
export async function sequentialLatencies(baseUrl: string, accounts: Account[], rounds: number): Promise<Record<LoginKind, number[]>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = `${baseUrl}/api/v1/auth/login`;
  const latencies: Record<LoginKind, number[]> = { 'correct password': [], 'wrong password': [], 'unknown account': [] };
  for (let round = 0; round < rounds; round++) {
    const account = accounts[round % accounts.length] as Account;
    // The order rotates each round: a kind always measured right after another would carry that
    // one's after-effects (the failed-login audit is written after answering).
    const kinds = Object.keys(latencies) as LoginKind[];
    for (const kind of kinds.map((_, i) => kinds[(i + round) % kinds.length] as LoginKind)) {
      const sent = performance.now();
      await post(agent, url, JSON.stringify({ ...credentials(kind, account), refreshTokenDelivery: 'body' }));
      latencies[kind].push(performance.now() - sent);
    }
  }
  agent.destroy();
  for (const list of Object.values(latencies)) list.sort((a, b) => a - b);
  return latencies;
}

/** `accounts.length` clients (one account each, so per-account lockout never triggers) for `seconds`. */
export async function runLogins(baseUrl: string, kind: LoginKind, accounts: Account[], seconds: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: accounts.length });
  const url = `${baseUrl}/api/v1/auth/login`;
  const wanted = kind === 'correct password' ? 200 : 401;
  const result: LoadResult = { seconds: 0, expected: 0, unexpected: {}, latencies: [] };
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    accounts.map(async (account) => {
      while (performance.now() < until) {
        const body = JSON.stringify({ ...credentials(kind, account), refreshTokenDelivery: 'body' });
        const sent = performance.now();
        const status = await post(agent, url, body);
        result.latencies.push(performance.now() - sent);
        if (status === wanted) result.expected++;
        else result.unexpected[status] = (result.unexpected[status] ?? 0) + 1;
      }
    }),
  );
  // Every client finishes the login it had started: the window ends when the last one answers.
  result.seconds = (performance.now() - started) / 1000;
  agent.destroy();
  result.latencies.sort((a, b) => a - b);
  return result;
}

/** Sequential /healthz latencies (ms, sorted) over `seconds`, taken while `during()` runs. */
export async function probeHealthz<T>(
  baseUrl: string,
  seconds: number,
  during: () => Promise<T>,
): Promise<{ latencies: number[]; result: T }> {
  const probe = start(process.execPath, ['--import', 'tsx', PROBE, `${baseUrl}/healthz`, String(seconds)], { ...process.env });
  const ready = new Promise<void>((resolve, reject) => {
    probe.child.stdout?.on('data', () => {
      if (probe.output().stdout.startsWith('ready\n')) resolve();
    });
    probe.exited.then((r) => reject(new Error(`healthz probe exited ${r.code}: ${r.stderr}`)));
  });
  await ready;
  const result = await during();
  const finished = await probe.exited;
  if (finished.code !== 0) throw new Error(`healthz probe exited ${finished.code}: ${finished.stderr}`);
  const latencies = (JSON.parse(finished.stdout.trim().split('\n').at(-1) as string) as number[]).sort((a, b) => a - b);
  return { latencies, result };
}
