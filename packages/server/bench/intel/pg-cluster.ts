import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../test/helpers/processes.ts';

/**
 * A throwaway PostgreSQL cluster from the machine's Debian packages (as `.ci/run` starts one), for
 * the benchmark's PostgreSQL figures when DATABASE_URL is not given. Null when none is installed.
 */
export async function startCluster(): Promise<{ url: string; stop(): void } | null> {
  const bin = findBin();
  if (!bin) return null;
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-pg-'));
  const root = process.getuid?.() === 0;
  const uid = root ? Number(execFileSync('id', ['-u', 'postgres']).toString().trim()) : undefined;
  if (root && uid !== undefined) {
    chmodSync(dir, 0o755);
    chownSync(dir, uid, uid);
  }
  const run = (cmd: string, args: string[]) => {
    const result = root ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args]) : spawnSync(cmd, args);
    if (result.status !== 0) throw new Error(`${path.basename(cmd)} failed: ${result.stderr?.toString()}`);
  };
  const port = await freePort();
  run(path.join(bin, 'initdb'), ['-D', `${dir}/data`, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  run(path.join(bin, 'pg_ctl'), [
    '-D',
    `${dir}/data`,
    '-l',
    `${dir}/server.log`,
    '-w',
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`,
    'start',
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run(path.join(bin, 'pg_ctl'), ['-D', `${dir}/data`, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function findBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  for (const version of readdirSync(base).sort().reverse()) {
    const bin = path.join(base, version, 'bin');
    if (existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'postgres'))) return bin;
  }
  return null;
}
