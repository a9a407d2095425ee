import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRoot } from '../../test/fake-root.ts';
import { createCollectContext } from './index.ts';
import { decodeAddress, networkCollector, parseProcNet } from './network.ts';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (local: string, remote: string, state: string) =>
  `   0: ${local} ${remote} ${state} 00000000:00000000 00:00000000 00000000     0        0 1 1\n`;

describe('/proc/net decoding', () => {
  it('decodes little-endian IPv4 and IPv6 words and big-endian ports', () => {
    expect(decodeAddress('0100007F:0016', true)).toEqual({ address: '127.0.0.1', port: 22 });
    expect(decodeAddress('0F02000A:01BB', true)).toEqual({ address: '10.0.2.15', port: 443 });
    expect(decodeAddress('00000000000000000000000001000000:0035', true)).toEqual({ address: '::1', port: 53 });
    expect(decodeAddress('00000000000000000000000000000000:0050', true)).toEqual({ address: '::', port: 80 });
    // fe80::a00:27ff:fe4e:66a1 as the kernel prints it on x86.
    expect(decodeAddress('000080FE00000000FF27000AA1664EFE:1F90', true)).toEqual({ address: 'fe80::a00:27ff:fe4e:66a1', port: 8080 });
    expect(decodeAddress('0000000000000000FFFF00000100007F:0019', true)).toEqual({ address: '::ffff:7f00:1', port: 25 });
    expect(decodeAddress('7F000001:0016', false)).toEqual({ address: '127.0.0.1', port: 22 });
  });

  it('refuses anything that is not an address', () => {
    for (const bad of ['', 'zz000000:0016', '0100007F', '0100007F:16', '0100007F:0016:00', `${'0'.repeat(31)}:0016`])
      expect(decodeAddress(bad)).toBeNull();
  });

  it('keeps TCP LISTEN sockets and unconnected UDP sockets only', () => {
    const tcp =
      HEADER +
      row('00000000:0016', '00000000:0000', '0A') +
      row('0F02000A:0016', '0202000A:D3C2', '01') +
      row('0100007F:0CEA', '00000000:0000', '0A');
    expect(parseProcNet(tcp, 'tcp', true)).toEqual([
      { protocol: 'tcp', address: '0.0.0.0', port: 22 },
      { protocol: 'tcp', address: '127.0.0.1', port: 3306 },
    ]);
    const udp =
      HEADER +
      row('00000000:0044', '00000000:0000', '07') +
      row('0F02000A:A1B2', '08080808:0035', '01') +
      row('0F02000A:A1B3', '08080808:0035', '07');
    expect(parseProcNet(udp, 'udp', true)).toEqual([{ protocol: 'udp', address: '0.0.0.0', port: 68 }]);
    expect(parseProcNet(`${HEADER}garbage\n\u0000\u0001 x y 0A\n   1: nothex:0016 00000000:0000 0A\n`, 'tcp', true)).toEqual([]);
  });
});

describe('network collector', () => {
  it('lists services once each, counts those on all interfaces, and flags risky public ports', async () => {
    const root = await writeRoot(await mkdtemp(join(tmpdir(), 'vigil-net-')), {
      'proc/net/tcp':
        HEADER +
        row('00000000:0016', '00000000:0000', '0A') +
        row('00000000:0016', '00000000:0000', '0A') +
        row('00000000:18EB', '00000000:0000', '0A'),
      'proc/net/tcp6': HEADER + row('00000000000000000000000000000000:0016', '00000000000000000000000000000000:0000', '0A'),
    });
    const output = await networkCollector.run(createCollectContext({ root }));
    expect(output.services).toHaveLength(3);
    expect(output.facts).toEqual([
      { id: 'network.listening_public', severity: 'NONE', observed: '2 port(s) open on all interfaces: tcp/22, tcp/6379', evidence: [] },
      {
        id: 'network.risky_service_public',
        severity: 'MEDIUM',
        subject: 'tcp/6379',
        observed: 'Redis (tcp/6379) listens on all interfaces',
        evidence: [],
      },
    ]);
  });

  it('is skipped without /proc/net', async () => {
    const output = await networkCollector.run(createCollectContext({ root: await mkdtemp(join(tmpdir(), 'vigil-net-')) }));
    expect(output.status).toBe('skipped');
  });
});
