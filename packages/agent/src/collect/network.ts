import { endianness } from 'node:os';
import type { ConfigFactInput, ListeningService } from '@vigil/protocol';
import { type Collector, numberedLines, readRootText } from './context.ts';

const PROC_NET_BYTES = 16 * 1024 * 1024;
const TABLES = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
type Protocol = (typeof TABLES)[number];

/** TCP_LISTEN; for UDP, TCP_CLOSE (7) with no remote address is a bound, unconnected socket. */
const TCP_LISTEN = '0A';
const UDP_UNCONNECTED = '07';

/**
 * Services commonly attacked when reachable from anywhere (databases, caches, remote desktops,
 * plaintext logins, container APIs): one fact each when bound to all interfaces.
 */
export const RISKY_PORTS: Record<number, string> = {
  21: 'FTP',
  23: 'Telnet',
  111: 'rpcbind',
  445: 'SMB',
  2375: 'Docker API (no TLS)',
  2379: 'etcd',
  3306: 'MySQL',
  3389: 'RDP',
  5432: 'PostgreSQL',
  5900: 'VNC',
  6379: 'Redis',
  9200: 'Elasticsearch',
  11211: 'Memcached',
  27017: 'MongoDB',
};

/** The kernel prints each 32-bit word of an address in the machine's byte order. */
function wordBytes(hex: string, little: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return little ? bytes.reverse() : bytes;
}

/** `0100007F:0016` → { address: '127.0.0.1', port: 22 }; IPv6 in RFC 5952 form. Null when unreadable. */
export function decodeAddress(text: string, little = endianness() === 'LE'): { address: string; port: number } | null {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(text);
  if (!m) return null;
  const [, hex = '', portHex = ''] = m;
  const port = Number.parseInt(portHex, 16);
  if (hex.length === 8) return { address: wordBytes(hex, little).join('.'), port };
  const bytes = [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8), little));
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  // The URL parser serialises IPv6 addresses the RFC 5952 way (zero runs compressed, lowercase).
  return { address: new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1), port };
}

export function parseProcNet(text: string, protocol: Protocol, little?: boolean): ListeningService[] {
  const services: ListeningService[] = [];
  for (const { line, number } of numberedLines(text)) {
    if (number === 1) continue; // the header
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    const [, local = '', remote = '', state = ''] = fields;
    const listening = protocol.startsWith('tcp') ? state === TCP_LISTEN : state === UDP_UNCONNECTED && /^0+:0000$/.test(remote);
    if (!listening) continue;
    const decoded = decodeAddress(local, little);
    if (decoded) services.push({ protocol, ...decoded });
  }
  return services;
}

export const isAllInterfaces = (address: string): boolean => address === '0.0.0.0' || address === '::' || address === '::ffff:0.0.0.0';

/** Listening sockets from /proc/net (the kernel's own tables; no `ss` or `netstat` needed). */
export const networkCollector: Collector = {
  name: 'network',
  async run(ctx) {
    const byKey = new Map<string, ListeningService>();
    let tables = 0;
    for (const protocol of TABLES) {
      const text = await readRootText(ctx, `proc/net/${protocol}`, PROC_NET_BYTES);
      if (text === null) continue;
      tables++;
      for (const s of parseProcNet(text, protocol)) byKey.set(`${s.protocol} ${s.address} ${s.port}`, s);
    }
    if (tables === 0) return { status: 'skipped', message: 'no /proc/net tables (not a live system)' };
    const services = [...byKey.values()].sort(
      (a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port || a.address.localeCompare(b.address),
    );
    const open = services.filter((s) => isAllInterfaces(s.address));
    const names = [...new Set([...open].sort((a, b) => a.port - b.port).map((s) => `${s.protocol.replace('6', '')}/${s.port}`))];
    const facts: ConfigFactInput[] = [
      {
        id: 'network.listening_public',
        severity: 'NONE',
        observed: open.length
          ? `${names.length} port(s) open on all interfaces: ${names.slice(0, 30).join(', ')}`
          : 'no service listens on all interfaces',
        evidence: [],
      },
    ];
    for (const name of names) {
      const port = Number(name.split('/')[1]);
      const service = RISKY_PORTS[port];
      if (!service) continue;
      facts.push({
        id: 'network.risky_service_public',
        severity: 'MEDIUM',
        subject: name,
        observed: `${service} (${name}) listens on all interfaces`,
        evidence: [],
      });
    }
    return { services, facts, items: services.length };
  },
};
