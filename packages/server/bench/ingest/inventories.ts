/**
 * The inventories the ingest benchmark sends: 1,000 packages of a real Ubuntu 18.04 desktop (the
 * dpkg status fixture), the packages named by the bionic security notices among them so matching
 * finds real findings, configuration facts as the agent's checks report them, gzip'd as the agent
 * sends them. Bodies are built before a timed phase: the load clients share the machine with the
 * server, and building one (JSON plus gzip) would otherwise count against it.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { type ConfigFactInput, INVENTORY_SCHEMA, type InventoryPackage } from '@vigil/protocol';
import { parseDpkgStatus } from '@vigil/vulndb';

export const PACKAGES_PER_INVENTORY = 1_000;
/** 1% of the packages: what a routine `apt upgrade` between two collections looks like. */
export const CHANGED_PER_INVENTORY = 10;

/** Source packages the bionic USN fixtures name: kept, so advisories match. */
const ADVISED = ['openssh', 'bzip2', 'expat', 'sudo', 'samba', 'libssh', 'git', 'ppp', 'openssl', 'curl', 'libx11', 'util-linux'];

export function fixturePackages(dpkgStatusFile: string): InventoryPackage[] {
  const all = parseDpkgStatus(readFileSync(dpkgStatusFile, 'utf8'), 'status', { ecosystem: 'Ubuntu' }).packages.map(
    ({ location: _where, ...p }) => p as InventoryPackage,
  );
  const advised = (p: InventoryPackage) => ADVISED.includes(p.source?.name ?? p.name);
  const named = all.filter(advised);
  const others = all.filter((p) => !advised(p)).slice(0, PACKAGES_PER_INVENTORY - named.length);
  if (named.length + others.length < PACKAGES_PER_INVENTORY) throw new Error(`the fixture holds only ${all.length} packages`);
  // The advised packages spread evenly, so that most rounds of 10 changes touch one (see changingServer).
  const every = Math.floor(PACKAGES_PER_INVENTORY / named.length);
  const chosen: InventoryPackage[] = [];
  for (let i = 0; chosen.length < PACKAGES_PER_INVENTORY; i++) {
    const next = i % every === 0 && named.length > 0 ? named.shift() : others.shift();
    chosen.push((next ?? named.shift()) as InventoryPackage);
  }
  return chosen;
}

const CONFIG_FACTS: ConfigFactInput[] = [
  { id: 'ssh.permit_root_login', severity: 'HIGH', observed: 'PermitRootLogin yes', evidence: ['/etc/ssh/sshd_config:32'] },
  { id: 'ssh.password_authentication', severity: 'MEDIUM', observed: 'PasswordAuthentication yes', evidence: ['/etc/ssh/sshd_config:56'] },
  { id: 'ssh.permit_empty_passwords', severity: 'NONE', observed: 'PermitEmptyPasswords no', evidence: [] },
  { id: 'firewall.active', severity: 'MEDIUM', observed: 'ufw inactive', evidence: ['ufw status: inactive'] },
  { id: 'system.reboot_required', severity: 'NONE', observed: 'no reboot required', evidence: [] },
  { id: 'packages.last_update', severity: 'LOW', observed: 'package lists 41 days old', evidence: ['/var/lib/apt/lists'] },
  { id: 'network.listening_public', severity: 'LOW', observed: 'mysqld on 0.0.0.0:3306', subject: 'tcp 0.0.0.0:3306', evidence: [] },
];

const SERVICES = [
  { protocol: 'tcp', address: '0.0.0.0', port: 22 },
  { protocol: 'tcp', address: '0.0.0.0', port: 80 },
  { protocol: 'tcp', address: '0.0.0.0', port: 443 },
  { protocol: 'tcp', address: '0.0.0.0', port: 3306 },
  { protocol: 'tcp6', address: '::', port: 22 },
  { protocol: 'udp', address: '127.0.0.53', port: 53 },
];

/** One server's inventory as the agent would send it, gzip'd. */
export function inventoryBody(host: number, packages: InventoryPackage[]): Buffer {
  const inventory = {
    schema: INVENTORY_SCHEMA,
    collectedAt: new Date().toISOString(),
    agentVersion: '1.0.0',
    host: {
      hostname: `web-${String(host).padStart(2, '0')}.bench.example`,
      machineId: (host + 1).toString(16).padStart(32, '0'),
      arch: 'x86_64',
      kernel: { release: '4.15.0-66-generic', version: '#75-Ubuntu SMP Tue Oct 1 05:24:09 UTC 2019' },
      os: { id: 'ubuntu', versionId: '18.04', prettyName: 'Ubuntu 18.04.3 LTS', ecosystem: 'Ubuntu:18.04:LTS' },
      packagesUpdatedAt: '2019-11-20T08:00:00Z',
      rebootRequired: false,
    },
    packages,
    wordpress: [],
    configFacts: CONFIG_FACTS,
    services: SERVICES,
    collectors: [
      { name: 'os-release', status: 'ok', items: 1, durationMs: Math.random() * 2 },
      { name: 'dpkg', status: 'ok', items: packages.length, durationMs: 30 + Math.random() * 20 },
      { name: 'sshd', status: 'ok', items: 3, durationMs: Math.random() * 5 },
      { name: 'firewall', status: 'ok', items: 1, durationMs: Math.random() * 50 },
      { name: 'listening', status: 'ok', items: SERVICES.length, durationMs: Math.random() * 10 },
    ],
  };
  return gzipSync(JSON.stringify(inventory));
}

/** An upgrade past any fix: epoch 99 sorts above every version an advisory names. */
const upgraded = (version: string) => `99:${version.replace(/^\d+:/, '')}`;

/**
 * A server whose packages move: each `next()` upgrades the next 10 packages past any fix (or puts
 * back the version a previous round upgraded), so every inventory it produces is a real change of
 * exactly 1% of the packages against the one before, and findings are fixed and reopened.
 */
export function changingServer(host: number, base: readonly InventoryPackage[]) {
  const current = [...base];
  let cursor = 0;
  return {
    unchanged: (): Buffer => inventoryBody(host, current),
    next(): Buffer {
      for (let i = 0; i < CHANGED_PER_INVENTORY; i++) {
        const at = (cursor + i) % current.length;
        const p = current[at] as InventoryPackage;
        const original = base[at] as InventoryPackage;
        const back = p.version !== original.version;
        current[at] = {
          ...original,
          version: back ? original.version : upgraded(original.version),
          ...(original.source
            ? { source: { ...original.source, version: back ? original.source.version : upgraded(original.source.version) } }
            : {}),
        };
      }
      cursor = (cursor + CHANGED_PER_INVENTORY) % current.length;
      return inventoryBody(host, current);
    },
  };
}
