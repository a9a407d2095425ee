import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { childEnv, freePort, httpStatus, killGroup, REPO_DIR, type Running, runVigil, start, waitFor } from './helpers/processes.ts';
import { createEmptyPostgresDatabase } from './helpers/test-database.ts';

/**
 * The `vigil` command as a user runs it: real processes, real ports, real signals. Each test
 * gets its own data directory (embedded) or its own database (when the suite runs on PostgreSQL).
 */
const scratch = mkdtempSync(path.join(tmpdir(), 'vigil-cli-test-'));
let counter = 0;
const running: Running[] = [];
const drops: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const r of running.splice(0)) {
    killGroup(r.child, 'SIGKILL');
    await r.exited;
  }
});
afterAll(async () => {
  for (const drop of drops) await drop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Settings for one fresh instance on the driver under test. */
async function instance(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv & { PORT: string }> {
  const port = String(await freePort());
  const dataDir = path.join(scratch, `instance-${++counter}`);
  const db = await createEmptyPostgresDatabase();
  if (db) drops.push(db.drop);
  return childEnv({
    PORT: port,
    VIGIL_DATA_DIR: dataDir,
    DATABASE_URL: db?.url,
    DATABASE_MIGRATION_URL: db?.migrationUrl,
    ...extra,
  }) as NodeJS.ProcessEnv & { PORT: string };
}

function serve(env: NodeJS.ProcessEnv, args: string[] = []): Running {
  const r = start(process.execPath, [path.join(REPO_DIR, 'packages/server/bin/vigil.js'), 'serve', ...args], env);
  running.push(r);
  return r;
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0] ?? '';
}

describe('npm start on a fresh checkout', () => {
  it('serves /healthz within 30 s with the embedded database and says how to create the first account', async () => {
    const env = childEnv({ PORT: String(await freePort()), VIGIL_DATA_DIR: path.join(scratch, 'npm-start') });
    const r = start('npm', ['start', '--silent'], env, REPO_DIR);
    running.push(r);
    const elapsed = await waitFor(async () => (await httpStatus(`http://127.0.0.1:${env.PORT}/healthz`)) === 200, 30_000, '/healthz');
    expect(elapsed).toBeLessThan(30_000);
    await waitFor(async () => r.output().stdout.includes('admin bootstrap'), 5_000, 'the banner');
    expect(r.output().stdout).toContain(`Vigil is running at http://127.0.0.1:${env.PORT}/`);
    expect(await httpStatus(`http://127.0.0.1:${env.PORT}/readyz`)).toBe(200);
  });
});

describe('vigil serve', () => {
  it('finishes a request in flight when SIGTERM arrives, then exits 0', async () => {
    const env = await instance({ SLOW_MS: '2500' });
    const r = start(process.execPath, ['--import', 'tsx', path.join(REPO_DIR, 'packages/server/test/fixtures/slow-server.ts')], env);
    running.push(r);
    const base = `http://127.0.0.1:${env.PORT}`;
    await waitFor(async () => (await httpStatus(`${base}/healthz`)) === 200, 30_000, 'the server');
    const slow = fetch(`${base}/slow`).then(async (res) => ({ status: res.status, body: await res.json() }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    r.child.kill('SIGTERM');
    const answer = await slow;
    expect(answer).toEqual({ status: 200, body: { finished: true } });
    const finished = await r.exited;
    expect(finished.code).toBe(0);
    await expect(httpStatus(`${base}/healthz`)).rejects.toThrow();
  });

  it('survives hostile requests and keeps serving', async () => {
    const env = await instance();
    serve(env);
    const base = `http://127.0.0.1:${env.PORT}`;
    await waitFor(async () => (await httpStatus(`${base}/healthz`)) === 200, 30_000, 'the server');
    const raw = (payload: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(env.PORT), '127.0.0.1', () => socket.end(payload));
        let answer = '';
        socket.on('data', (d) => {
          answer += d;
        });
        socket.on('close', () => resolve(answer));
        socket.on('error', () => resolve(answer));
      });
    const statuses = await Promise.all([
      fetch(`${base}/api/v1/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' }).then(
        (r) => r.status,
      ),
      fetch(`${base}/api/v1/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: 'x'.repeat(2 * 1024 * 1024),
      }).then((r) => r.status),
      fetch(`${base}/api/v1/%E0%A4%A`).then((r) => r.status),
      fetch(`${base}/healthz`, { headers: { 'x-big': 'y'.repeat(64 * 1024) } }).then((r) => r.status),
    ]);
    expect(statuses[0]).toBe(401);
    expect(statuses[1]).toBeGreaterThanOrEqual(400);
    expect(statuses[2]).toBe(400);
    expect(statuses[3]).toBe(431);
    expect(await raw('GARBAGE / HTTP/9.9\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(
      await raw('POST /api/v1/clients HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
    ).toMatch(/^HTTP\/1\.1 400/);
    expect(await httpStatus(`${base}/healthz`)).toBe(200);
    expect(await httpStatus(`${base}/readyz`)).toBe(200);
  });

  it('refuses a second server on the same embedded data directory, naming the holder', async () => {
    const env = await instance();
    const { DATABASE_URL: _ignored, DATABASE_MIGRATION_URL: _ignoredToo, ...embedded } = env;
    const first = serve(embedded);
    await waitFor(async () => (await httpStatus(`http://127.0.0.1:${env.PORT}/healthz`)) === 200, 30_000, 'the first server');
    const second = await runVigil(['serve'], { ...embedded, PORT: String(await freePort()) });
    expect(second.code).toBe(69);
    expect(oneLine(second.stderr)).toMatch(new RegExp(`in use by process ${first.child.pid}`));
    expect(await httpStatus(`http://127.0.0.1:${env.PORT}/healthz`)).toBe(200);
  });

  it('stops with one line and exit 78 on an invalid setting', async () => {
    const result = await runVigil(['serve'], await instance({ PORT: 'eighty' }));
    expect(result.code).toBe(78);
    expect(oneLine(result.stderr)).toBe('vigil: invalid configuration: PORT must be an integer between 1 and 65535 (got "eighty")');
  });

  it('stops with one line and exit 69 when PostgreSQL cannot be reached, without the password', async () => {
    const result = await runVigil(
      ['serve'],
      await instance({ DATABASE_URL: 'postgres://vigil:hunter2-secret@127.0.0.1:1/vigil', DATABASE_MIGRATION_URL: '' }),
    );
    expect(result.code).toBe(69);
    const line = oneLine(result.stderr);
    expect(line).toMatch(/cannot connect to PostgreSQL at postgres:\/\/vigil:\*\*\*@127\.0\.0\.1:1\/vigil/);
    expect(line).not.toContain('hunter2');
  });

  it('stops with one line and exit 69 on a damaged data directory', async () => {
    const env = await instance();
    const { DATABASE_URL: _ignored, DATABASE_MIGRATION_URL: _ignoredToo, ...embedded } = env;
    expect((await runVigil(['migrate'], embedded)).code).toBe(0);
    writeFileSync(path.join(embedded.VIGIL_DATA_DIR as string, 'pg', 'global', 'pg_control'), Buffer.alloc(8192, 1));
    const result = await runVigil(['serve'], embedded);
    expect(result.code).toBe(69);
    expect(oneLine(result.stderr)).toMatch(/damaged or from an incompatible version/);
  });
});

describe('vigil worker', () => {
  it('runs the job queue without HTTP and stops cleanly on SIGTERM', async () => {
    const env = await instance();
    const r = start(process.execPath, [path.join(REPO_DIR, 'packages/server/bin/vigil.js'), 'worker'], env);
    running.push(r);
    await waitFor(async () => r.output().stdout.includes('Vigil worker running'), 30_000, 'the worker');
    await expect(httpStatus(`http://127.0.0.1:${env.PORT}/healthz`)).rejects.toThrow();
    r.child.kill('SIGTERM');
    const finished = await r.exited;
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stderr).not.toMatch(/"level":(50|60)/);
  });
});

describe('vigil migrate and admin bootstrap', () => {
  it('migrates once, then reports the database up to date', async () => {
    const env = await instance();
    const first = await runVigil(['migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied \d+ migration\(s\): 0001_foundation/);
    const second = await runVigil(['migrate'], env);
    expect(second.stdout.trim()).toBe('database is up to date');
  });

  it('creates the first organization once and prints a setup link under PUBLIC_URL', async () => {
    const env = await instance({ PUBLIC_URL: 'https://vigil.example.com/ops' });
    const first = await runVigil(['admin', 'bootstrap', '--org', 'Acme Agency', '--email', 'owner@acme.example'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/https:\/\/vigil\.example\.com\/ops\/setup#token=[A-Za-z0-9_-]{43}\n/);
    const again = await runVigil(['admin', 'bootstrap', '--org', 'Other', '--email', 'x@other.example'], env);
    expect(again.code).toBe(1);
    expect(oneLine(again.stderr)).toMatch(/already has an organization/);
    expect(again.stdout).toBe('');
  });

  it('refuses an invalid email with a usage error', async () => {
    const result = await runVigil(['admin', 'bootstrap', '--org', 'Acme', '--email', 'not-an-email'], await instance());
    expect(result.code).toBe(64);
    expect(oneLine(result.stderr)).toMatch(/--email must be an email address/);
  });
});

describe('help and usage', () => {
  it.each([[[]], [['serve']], [['worker']], [['migrate']], [['admin']], [['admin', 'bootstrap']]])(
    'vigil %j --help explains itself',
    async (args) => {
      const result = await runVigil([...args, '--help'], childEnv({}));
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: vigil/);
    },
  );

  it('documents the exit codes in the top-level help', async () => {
    const result = await runVigil(['--help'], childEnv({}));
    for (const code of ['64', '69', '78']) expect(result.stdout).toContain(`  ${code}`);
  });

  it('answers an unknown command or a missing option with exit 64', async () => {
    expect((await runVigil(['frobnicate'], childEnv({}))).code).toBe(64);
    const missing = await runVigil(['admin', 'bootstrap', '--org', 'Acme'], childEnv({}));
    expect(missing.code).toBe(64);
    expect(missing.stderr).toMatch(/--email/);
  });
});
