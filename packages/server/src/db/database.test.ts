import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/helpers/test-database.ts';
import { openDatabase } from './database.ts';
import { assertUnprivilegedRole } from './role-check.ts';
import { organizations } from './schema.ts';
import { withTenant } from './tenant.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'vigil-db-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const dir = (name: string) => path.join(scratch, name);
const refuse = (detail: string) => Object.assign(new Error(detail), { code: 'DATABASE_ROLE_PRIVILEGED' });

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('the embedded database directory', () => {
  it('is created with owner-only permissions and survives a reopen', async () => {
    const dataDir = dir('fresh');
    const first = await openDatabase({ kind: 'pglite', dataDir });
    await first.exec("SELECT set_config('application_name', 'x', false)");
    await first.close();
    expect(existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))).toBe(true);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(existsSync(path.join(dataDir, 'vigil.lock'))).toBe(false);
    const second = await openDatabase({ kind: 'pglite', dataDir });
    expect(await second.pendingMigrations()).toEqual([]);
    await second.close();
  });

  it('keeps what was committed when the process is killed with SIGKILL', async () => {
    const dataDir = dir('killed');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../../test/fixtures/commit-then-hang.ts', import.meta.url))],
      {
        env: { ...process.env, VIGIL_DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const committed = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d) => {
        out += d;
        const match = /committed (\S+)\n/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const database = await openDatabase({ kind: 'pglite', dataDir });
    try {
      const rows = await withTenant(database.db, { orgId: committed, userId: null, role: 'OWNER', clientIds: 'all' }, (tx) =>
        tx.select().from(organizations),
      );
      expect(rows.map((r) => r.name)).toEqual(['Survivor']);
    } finally {
      await database.close();
    }
  });

  it('refuses a second opener in the same process', async () => {
    const dataDir = dir('twice');
    const first = await openDatabase({ kind: 'pglite', dataDir });
    const error = await refusal(openDatabase({ kind: 'pglite', dataDir }));
    expect(error.code).toBe('DATA_DIR_LOCKED');
    await first.close();
  });

  it('refuses a directory held by another live process, naming its PID', async () => {
    const dataDir = dir('held');
    mkdirSync(dataDir, { recursive: true });
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(path.join(dataDir, 'vigil.lock'), `${holder.pid}\n`);
      const error = await refusal(openDatabase({ kind: 'pglite', dataDir }));
      expect(error.code).toBe('DATA_DIR_LOCKED');
      expect(error.message).toContain(`in use by process ${holder.pid}`);
      expect(readFileSync(path.join(dataDir, 'vigil.lock'), 'utf8').trim()).toBe(String(holder.pid));
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('takes over the lock of a process that died without releasing it', async () => {
    const dataDir = dir('stale');
    mkdirSync(dataDir, { recursive: true });
    const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => dead.on('exit', resolve));
    writeFileSync(path.join(dataDir, 'vigil.lock'), `${dead.pid}\n`);
    const database = await openDatabase({ kind: 'pglite', dataDir });
    expect(readFileSync(path.join(dataDir, 'vigil.lock'), 'utf8').split(' ')[0]).toBe(String(process.pid));
    await database.close();
  });

  it('takes over a lock left by a dead process whose PID was reused (a container restart)', async () => {
    const dataDir = dir('reused-pid');
    mkdirSync(dataDir, { recursive: true });
    // Our own PID with another start time: the crashed predecessor had the PID we now have.
    writeFileSync(path.join(dataDir, 'vigil.lock'), `${process.pid} 1\n`);
    const database = await openDatabase({ kind: 'pglite', dataDir });
    expect(readFileSync(path.join(dataDir, 'vigil.lock'), 'utf8').split(' ')[0]).toBe(String(process.pid));
    await database.close();
    // And a live process's PID with a wrong start time is no longer that holder either.
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(path.join(dataDir, 'vigil.lock'), `${live.pid} 1\n`);
      const again = await openDatabase({ kind: 'pglite', dataDir });
      await again.close();
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('refuses a path that is a file', async () => {
    const file = dir('a-file');
    writeFileSync(file, 'x');
    const error = await refusal(openDatabase({ kind: 'pglite', dataDir: file }));
    expect(error).toMatchObject({ code: 'DATA_DIR_UNUSABLE', message: expect.stringMatching(/not a directory/) });
  });

  it('refuses to initialise over a directory that is not a database', async () => {
    const dataDir = dir('not-a-db');
    mkdirSync(path.join(dataDir, 'pg'), { recursive: true });
    writeFileSync(path.join(dataDir, 'pg', 'notes.txt'), 'mine');
    const error = await refusal(openDatabase({ kind: 'pglite', dataDir }));
    expect(error).toMatchObject({ code: 'DATA_DIR_UNUSABLE', message: expect.stringMatching(/no PG_VERSION/) });
    expect(readFileSync(path.join(dataDir, 'pg', 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(path.join(dataDir, 'vigil.lock'))).toBe(false);
  });

  it('reports a damaged database clearly and releases the lock', async () => {
    const dataDir = dir('damaged');
    await (await openDatabase({ kind: 'pglite', dataDir })).close();
    writeFileSync(path.join(dataDir, 'pg', 'global', 'pg_control'), Buffer.alloc(8192, 0x5a));
    const error = await refusal(openDatabase({ kind: 'pglite', dataDir }));
    expect(error).toMatchObject({ code: 'DATA_DIR_UNUSABLE', message: expect.stringMatching(/damaged or from an incompatible version/) });
    expect(existsSync(path.join(dataDir, 'vigil.lock'))).toBe(false);
  });
});

describe('PostgreSQL connection problems', () => {
  it('names the server without its password when it cannot connect', async () => {
    const url = 'postgres://vigil:s3cret-pw@127.0.0.1:1/vigil';
    const error = await refusal(openDatabase({ kind: 'postgres', url, migrationUrl: url, poolMax: 1, dataDir: scratch }));
    expect(error.code).toBe('DATABASE_UNAVAILABLE');
    expect(error.message).toContain('127.0.0.1:1');
    expect(error.message).not.toContain('s3cret-pw');
  });
});

describe('the runtime role', () => {
  it('is refused when it is a superuser or can bypass RLS, and a hardened login stays the app role', async () => {
    const t = await createTestDatabase();
    try {
      if (t.admin && t.url) {
        // PostgreSQL: the test's own login is a superuser.
        const error = await refusal(
          assertUnprivilegedRole({ query: (q, p) => t.admin?.query(q, p) as never }, { sessionUser: true }, refuse),
        );
        expect(error.message).toMatch(/is a superuser/);
        // Start-up through a superuser login: refused even though queries would run as vigil_app,
        // because one SET ROLE NONE would leave it; accepted only when explicitly allowed.
        const owner = t.migrationUrl as string;
        const asOwner = { kind: 'postgres' as const, url: owner, migrationUrl: owner, poolMax: 1, dataDir: scratch };
        const refused = await refusal(openDatabase(asOwner));
        expect(refused).toMatchObject({
          code: 'DATABASE_ROLE_PRIVILEGED',
          message: expect.stringMatching(/database login "postgres" is a superuser/),
        });
        const allowed = await openDatabase({ ...asOwner, allowPrivilegedLogin: true });
        expect((await allowed.query('SELECT current_user AS c')).rows[0]).toEqual({ c: 'vigil_app' });
        await allowed.close();
        // The hardened set-up from docs/configuration.md: a login that is only a member of
        // vigil_app works as the app role and cannot climb to another role.
        const login = `vigil_login_${Math.random().toString(36).slice(2, 10)}`;
        await t.admin.query(`CREATE ROLE ${login} LOGIN IN ROLE vigil_app`);
        const url = new URL(t.url);
        url.username = login;
        const hardened = await openDatabase({ kind: 'postgres', url: url.toString(), migrationUrl: t.url, poolMax: 1, dataDir: scratch });
        try {
          expect((await hardened.query('SELECT current_user AS c, session_user AS s')).rows[0]).toEqual({ c: 'vigil_app', s: login });
          await expect(hardened.exec('SET ROLE postgres')).rejects.toThrow(/permission denied/);
        } finally {
          await hardened.close();
          await t.admin.query(`DROP ROLE ${login}`).catch(() => {});
        }
      } else {
        // PGlite: step back out of the app role to the built-in superuser.
        await t.database.exec('RESET ROLE');
        const error = await refusal(assertUnprivilegedRole(t.database, { sessionUser: false }, refuse));
        expect(error.message).toMatch(/"postgres" is a superuser/);
        await t.database.exec('ALTER ROLE vigil_app BYPASSRLS; SET ROLE vigil_app');
        const bypass = await refusal(assertUnprivilegedRole(t.database, { sessionUser: false }, refuse));
        expect(bypass.message).toMatch(/BYPASSRLS/);
        await t.database.exec(
          'RESET ROLE; ALTER ROLE vigil_app NOBYPASSRLS; ALTER TABLE vigil.assets OWNER TO vigil_app; SET ROLE vigil_app',
        );
        const owner = await refusal(assertUnprivilegedRole(t.database, { sessionUser: false }, refuse));
        expect(owner.message).toMatch(/owns .*vigil\.assets/);
      }
    } finally {
      await t.destroy();
    }
  });

  it('stops start-up when the app role was given BYPASSRLS', async () => {
    const dataDir = dir('bypass');
    const database = await openDatabase({ kind: 'pglite', dataDir });
    await database.exec('RESET ROLE; ALTER ROLE vigil_app BYPASSRLS');
    await database.close();
    const error = await refusal(openDatabase({ kind: 'pglite', dataDir }));
    expect(error).toMatchObject({ code: 'DATABASE_ROLE_PRIVILEGED', message: expect.stringMatching(/BYPASSRLS/) });
    expect(existsSync(path.join(dataDir, 'vigil.lock'))).toBe(false);
  });
});

describe('using the database from inside a transaction', () => {
  it('fails loudly on the embedded database and sees nothing on PostgreSQL, instead of hanging or leaking', async () => {
    const t = await createTestDatabase();
    try {
      const orgId = randomUUID();
      const ctx = { orgId, userId: null, role: 'OWNER' as const, clientIds: 'all' as const };
      await withTenant(t.database.db, ctx, (tx) =>
        tx.insert(organizations).values({ id: orgId, name: 'Inner', slug: `inner-${orgId.slice(0, 8)}` }),
      );
      const misuse = withTenant(t.database.db, ctx, async () => t.database.db.select().from(organizations));
      if (t.database.kind === 'pglite') {
        const error = (await misuse.catch((e: unknown) => e)) as Error & { cause?: Error };
        expect(error.cause?.message ?? error.message).toMatch(/outside the open transaction/);
        // The connection is still usable afterwards.
        expect(await withTenant(t.database.db, ctx, (tx) => tx.select().from(organizations))).toHaveLength(1);
      } else {
        // Another pooled connection, without the tenant context: row-level security shows nothing.
        expect(await misuse).toEqual([]);
      }
    } finally {
      await t.destroy();
    }
  });
});
