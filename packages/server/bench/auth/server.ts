/**
 * A real Vigil server for the login benchmark, started as `npm start` starts it (`vigil serve` in
 * a process of its own) on a free loopback port, with a fresh data directory and the embedded
 * database, or a fresh database on DATABASE_URL's server when that is set. Rate limits and lockout
 * are raised so that the benchmark measures the work of a login, not the refusals that stop it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { memberships, organizations, users } from '../../src/db/schema.ts';
import { withSystem } from '../../src/db/tenant.ts';
import { loginRepo } from '../../src/modules/auth/login/login.repo.ts';
import { hashPassword } from '../../src/modules/auth/passwords/index.ts';
import { childEnv, freePort, killGroup, type Running, runVigil, start, VIGIL_BIN, waitFor } from '../../test/helpers/processes.ts';
import { createEmptyPostgresDatabase } from '../../test/helpers/test-database.ts';
import type { LoopSnapshot } from './loop-monitor.ts';

/** A strong random password the policy accepts (the test helpers' one pulls in vitest). */
export function strongPassword(): string {
  return `Correct-Horse-${randomBytes(9).toString('base64url')}`;
}

const LOOP_MONITOR = fileURLToPath(new URL('./loop-monitor.ts', import.meta.url));

export interface Account {
  email: string;
  password: string;
}

export interface BenchServer {
  baseUrl: string;
  database: 'embedded' | 'postgres';
  /** The bootstrap owner, whose password was set through the setup link. */
  owner: Account;
  /** Further members with passwords, one per concurrent client: lockout counts per account. */
  members: Account[];
  /** The server's event loop, GC and CPU since the previous call (the first covers start-up). */
  loopSnapshot(): Promise<LoopSnapshot>;
  stop(): Promise<void>;
}

/** Members get the same argon2id parameters as any account: hashed by the server's own function. */
async function seedMembers(env: NodeJS.ProcessEnv, count: number): Promise<Account[]> {
  const config = loadConfig(env);
  const database = await openDatabase(config.database);
  try {
    const [org] = await withSystem(database.db, (tx) => tx.select({ id: organizations.id }).from(organizations).limit(1));
    if (!org) throw new Error('bootstrap created no organization');
    const password = strongPassword();
    return await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const email = `member-${i}@bench.example`;
        const hash = await hashPassword(password);
        // Memberships are created in the system scope, as bootstrap and invitations do.
        await withSystem(database.db, async (tx) => {
          const [user] = await tx.insert(users).values({ email }).returning({ id: users.id });
          if (!user) throw new Error('INSERT … RETURNING produced no row');
          await tx.insert(memberships).values({ orgId: org.id, userId: user.id, role: 'ENGINEER' });
          await loginRepo.setPasswordHash(tx, user.id, hash);
        });
        return { email, password };
      }),
    );
  } finally {
    await database.close();
  }
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, json: await response.json().catch(() => null) };
}

export async function startBenchServer(opts: { members: number }): Promise<BenchServer> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'vigil-bench-auth-'));
  const pg = await createEmptyPostgresDatabase();
  const port = await freePort();
  const loopFile = path.join(scratch, 'loop.json');
  const env = childEnv({
    PORT: String(port),
    VIGIL_DATA_DIR: path.join(scratch, 'data'),
    DATABASE_URL: pg?.url,
    DATABASE_MIGRATION_URL: pg?.migrationUrl,
    RATE_LIMITS: 'login=100000/min,login_account=100000/hour,api=100000/min,public=100000/min',
    // The highest threshold and shortest lockout config allows; each client also has its own account.
    LOGIN_LOCKOUT_AFTER: '100',
    LOGIN_LOCKOUT_BASE_S: '1',
    LOGIN_LOCKOUT_MAX_S: '1',
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE,
    BENCH_LOOP_FILE: loopFile,
  });
  let server: Running | null = null;
  const cleanup = async () => {
    if (server) {
      killGroup(server.child, 'SIGTERM');
      const timer = setTimeout(() => server && killGroup(server.child, 'SIGKILL'), 10_000);
      await server.exited;
      clearTimeout(timer);
    }
    await pg?.drop().catch(() => {});
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    // With the embedded database only one process may open it: bootstrap and seeding come first.
    const owner: Account = { email: 'owner@bench.example', password: strongPassword() };
    const bootstrap = await runVigil(['admin', 'bootstrap', '--org', 'Bench', '--email', owner.email], env);
    const token = /[#?&]token=([A-Za-z0-9_-]{43})/.exec(bootstrap.stdout)?.[1];
    if (bootstrap.code !== 0 || !token) throw new Error(`vigil admin bootstrap failed (${bootstrap.code}): ${bootstrap.stderr}`);
    const members = await seedMembers(env, opts.members);

    const running = start(process.execPath, ['--import', 'tsx', '--import', LOOP_MONITOR, VIGIL_BIN, 'serve'], env);
    server = running;
    const baseUrl = `http://127.0.0.1:${port}`;
    await Promise.race([
      waitFor(async () => (await fetch(`${baseUrl}/healthz`)).status === 200, 60_000, 'the server'),
      running.exited.then((r) => Promise.reject(new Error(`vigil serve exited ${r.code}: ${r.stderr}`))),
    ]);
    const setup = await postJson(`${baseUrl}/api/v1/auth/setup`, { token, password: owner.password, refreshTokenDelivery: 'body' });
    if (setup.status !== 200) throw new Error(`setup link refused: ${setup.status} ${JSON.stringify(setup.json)}`);
    const login = await postJson(`${baseUrl}/api/v1/auth/login`, { ...owner, refreshTokenDelivery: 'body' });
    if (login.status !== 200) throw new Error(`owner login refused: ${login.status} ${JSON.stringify(login.json)}`);

    let seq = 0;
    const loopSnapshot = async (): Promise<LoopSnapshot> => {
      seq++;
      process.kill(running.child.pid as number, 'SIGUSR2');
      let snapshot: LoopSnapshot | null = null;
      await waitFor(
        async () => {
          if (!existsSync(loopFile)) return false;
          snapshot = JSON.parse(readFileSync(loopFile, 'utf8')) as LoopSnapshot;
          return snapshot.seq === seq;
        },
        10_000,
        'the event-loop snapshot',
      );
      return snapshot as unknown as LoopSnapshot;
    };
    await loopSnapshot();
    return { baseUrl, database: pg ? 'postgres' : 'embedded', owner, members, loopSnapshot, stop: cleanup };
  } catch (error) {
    const output = server?.output();
    await cleanup();
    if (output?.stderr) process.stderr.write(output.stderr);
    throw error;
  }
}
