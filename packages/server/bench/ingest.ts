/**
 * `npm run bench:ingest`: how many agent inventories per second the server ingests, one figure per
 * line. Through real HTTP (the app listening on a loopback port, in this process): 20 servers,
 * each with its own agent token, each inventory 1,000 packages of a real Ubuntu 18.04 machine with
 * configuration facts, gzip'd as the agent sends it, with the bionic Ubuntu security notices
 * imported so matching finds real findings. After a warm-up (each server's first inventory), 8
 * concurrent clients send for BENCH_INGEST_SECONDS (default 10) (a) unchanged inventories, then
 * (b) inventories with 1% of the packages changed (10 packages upgraded past any fix, or put back,
 * each time: findings are fixed and reopened). Bodies are built before each timed phase; the
 * clients run in the server's process, their share of its CPU is small (one small answer each).
 * On the embedded database and on PostgreSQL (DATABASE_URL, a superuser to create databases, else
 * a throwaway cluster from the machine's PostgreSQL packages). Target (2 cores, PostgreSQL):
 * >= 100 unchanged and >= 30 changed inventories/s.
 * BENCH_INGEST_CLIENTS (default 8) sets the concurrency; BENCH_INGEST_DATABASES=postgres (or
 * embedded) measures one database only.
 * A measurement, not a test: it exits non-zero only when it cannot set up.
 */
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { AGENT_PATHS } from '@vigil/protocol';
import { changingServer, fixturePackages, PACKAGES_PER_INVENTORY } from './ingest/inventories.ts';
import { quantile, runPhase, sendOnce } from './ingest/load.ts';
import { startIngestWorld } from './ingest/world.ts';
import { startCluster } from './intel/pg-cluster.ts';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
const SECONDS = Number(process.env.BENCH_INGEST_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_INGEST_CLIENTS ?? 8);
/** Which databases to measure, comma-separated (for profiling one). */
const DATABASES = (process.env.BENCH_INGEST_DATABASES ?? 'embedded,postgres').split(',');
const SERVERS = 20;
const TARGETS = { unchanged: 100, changed: 30 } as const;
/** Changed inventories built ahead per server: enough for this rate; beyond it they are built on demand. */
const PREBUILT_RATE = 80;
const CORES = availableParallelism();

const figure = (name: string, value: number | string, unit: string) =>
  console.log(`${name}: ${typeof value === 'number' ? Number(value.toFixed(2)) : value} ${unit}`);

const packages = fixturePackages(`${FIXTURES}inventories/ubuntu-18.04-bionic.dpkg-status`);

async function measure(database: 'embedded' | 'postgres'): Promise<void> {
  const world = await startIngestWorld({ postgres: database === 'postgres', servers: SERVERS, usnDir: `${FIXTURES}osv/ubuntu-usn` });
  try {
    const url = `${world.baseUrl}${AGENT_PATHS.inventory}`;
    const servers = world.tokens.map((_, i) => changingServer(i, packages));
    // Warm-up: each server's first inventory stores its 1,000 packages and opens its findings.
    const warm = performance.now();
    let open = 0;
    for (const [i, server] of servers.entries()) open += (await sendOnce(url, world.tokens[i] as string, server.unchanged())).findings.open;
    figure(`first inventory per server, ${database}, mean`, (performance.now() - warm) / SERVERS, 'ms');
    figure(`open findings per server after its first inventory, ${database}`, open / SERVERS, 'findings');

    const unchanged = servers.map((server) => [server.unchanged(), server.unchanged()]);
    let sent = 0;
    report(
      database,
      'unchanged',
      await runPhase({
        url,
        tokens: world.tokens,
        clients: CLIENTS,
        seconds: SECONDS,
        changed: false,
        bodyFor: (i) => (unchanged[i] as Buffer[])[sent++ % 2] as Buffer,
      }),
    );

    const ahead = Math.ceil((SECONDS * PREBUILT_RATE) / SERVERS) + 2;
    const queues = servers.map((server) => Array.from({ length: ahead }, () => server.next()));
    report(
      database,
      'changed',
      await runPhase({
        url,
        tokens: world.tokens,
        clients: CLIENTS,
        seconds: SECONDS,
        changed: true,
        bodyFor: (i) => queues[i]?.shift() ?? (servers[i] as (typeof servers)[number]).next(),
      }),
    );
  } finally {
    await world.stop();
  }
}

function report(database: string, phase: keyof typeof TARGETS, result: Awaited<ReturnType<typeof runPhase>>): void {
  const rate = result.expected / result.seconds;
  const name = phase === 'unchanged' ? `unchanged inventories, ${database}` : `inventories with 1% of packages changed, ${database}`;
  figure(`${name}, rate with ${CLIENTS} concurrent clients`, rate, 'inventories/s');
  figure(`${name}, latency p50`, quantile(result.latencies, 0.5), 'ms');
  figure(`${name}, latency p99`, quantile(result.latencies, 0.99), 'ms');
  // The server runs in this process: its CPU per inventory, with the clients' small share.
  figure(`${name}, CPU of the Node.js process per inventory`, result.cpuMs / (result.expected || 1), 'ms');
  if (phase === 'changed') figure(`${name}, findings opened, fixed or reopened`, result.findingsMoved, 'findings');
  for (const [status, count] of Object.entries(result.unexpected))
    figure(`${name}, unexpected answers, HTTP ${status}`, count, 'responses');
  if (database === 'postgres') {
    const target = TARGETS[phase];
    console.log(
      `target ${rate >= target ? 'met' : 'missed'}: ${Number(rate.toFixed(1))} ${phase} inventories/s on PostgreSQL ${rate >= target ? '>=' : '<'} ${target}`,
    );
  }
}

figure('cores', CORES, 'cores');
const loadBefore = loadavg()[0] ?? 0;
figure('machine load average over the last minute, before the run', loadBefore, 'runnable');
figure('servers (assets, each with its own agent token)', SERVERS, 'servers');
figure('packages per inventory', PACKAGES_PER_INVENTORY, 'packages');
if (DATABASES.includes('embedded')) await measure('embedded');
const cluster = !DATABASES.includes('postgres') || process.env.DATABASE_URL ? null : await startCluster();
if (cluster) process.env.DATABASE_URL = cluster.url;
process.once('SIGINT', () => {
  cluster?.stop();
  process.exit(130);
});
try {
  if (!DATABASES.includes('postgres')) figure('postgres', 'not measured', '(BENCH_INGEST_DATABASES)');
  else if (process.env.DATABASE_URL) await measure('postgres');
  else figure('postgres', 'not measured', '(no DATABASE_URL and no PostgreSQL installed)');
} finally {
  cluster?.stop();
}
const load = Math.max(loadBefore, loadavg()[0] ?? 0);
if (load > CORES) {
  console.log(
    `note: the machine's load average reached ${Number(load.toFixed(1))} on ${CORES} cores: the figures include waiting for a CPU behind other work`,
  );
}
