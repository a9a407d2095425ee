import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { childEnv, freePort, killGroup, type Running, start } from './processes.ts';

/**
 * A real redis-server for one test file: loopback only, a random free port, no persistence, in
 * its own temporary directory. Tests that need Redis fail (never skip) when it is not installed:
 * `.ci/run` installs it, and a silently skipped suite would prove nothing.
 */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  resume(): void;
  /** Stops the server (SIGTERM) and waits for it to exit; its data is gone with it. */
  stop(): Promise<void>;
}

function findRedisServer(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir || '.', 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error(
    'redis-server is not installed (not on PATH); these tests need a real one: apt-get install redis-server (.ci/run does it)',
  );
}

async function ready(server: Running, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const { stdout } = server.output();
    if (stdout.includes('Ready to accept connections')) return true;
    if (server.child.exitCode !== null || server.child.signalCode !== null) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Starts redis-server; `port` restarts one where a stopped server was (for reconnection tests). */
export async function startRedis(options: { port?: number } = {}): Promise<TestRedis> {
  const binary = findRedisServer();
  // A random port can be taken between freePort() and the bind: try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? (await freePort());
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-redis-'));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const server = start(binary, args, childEnv({}), dir);
    if (await ready(server, 10_000)) {
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        pause: () => killGroup(server.child, 'SIGSTOP'),
        resume: () => killGroup(server.child, 'SIGCONT'),
        async stop() {
          if (server.child.exitCode === null && server.child.signalCode === null) {
            // A paused server would hold the SIGTERM until continued.
            killGroup(server.child, 'SIGCONT');
            killGroup(server.child, 'SIGTERM');
          }
          await server.exited;
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    killGroup(server.child, 'SIGKILL');
    const { stdout, stderr } = await server.exited;
    rmSync(dir, { recursive: true, force: true });
    const inUse = /address already in use/i.test(stdout + stderr);
    if (!inUse || options.port !== undefined) throw new Error(`redis-server did not start on port ${port}:\n${stdout}${stderr}`);
  }
  throw new Error('redis-server found no free port after 5 attempts');
}
