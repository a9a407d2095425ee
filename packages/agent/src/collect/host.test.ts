import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inventorySchema } from '@vigil/protocol';
import { describe, expect, it } from 'vitest';
import { writeRoot } from '../../test/fake-root.ts';
import { finishHost } from './host.ts';
import { collectInventory } from './index.ts';
import { nodeArch } from './os.ts';

describe('host section', () => {
  it('falls back field by field when a value is not reportable', () => {
    const { host, problems } = finishHost({
      hostname: null,
      arch: 'x'.repeat(40),
      machineId: 'not-hex',
      kernel: { release: 'a'.repeat(500), version: '' },
      os: { id: 'debian', versionId: '12', prettyName: null, ecosystem: 'Debian:12' },
      packagesUpdatedAt: '+010000-01-01T00:00:00.000Z',
      rebootRequired: true,
    });
    expect(host).toEqual({
      hostname: 'unknown',
      arch: nodeArch(),
      kernel: null,
      os: { id: 'debian', versionId: '12', prettyName: null, ecosystem: 'Debian:12' },
      packagesUpdatedAt: null,
      rebootRequired: true,
    });
    expect(problems).toEqual(['host.arch not reportable', 'host.kernel not reportable', 'host.packagesUpdatedAt not reportable']);
  });

  it('keeps a sendable inventory when os-release, kernel and dpkg fields carry control characters', async () => {
    const root = await writeRoot(await mkdtemp(join(tmpdir(), 'vigil-host-')), {
      'etc/os-release': 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian\u0001\u001b[2J 12"\n',
      'proc/sys/kernel/osrelease': '6.1.0\u0007-amd64\n',
      'var/lib/dpkg/status': `Package: dpkg\nStatus: install ok installed\nVersion: 1.21.22\nArchitecture: ${'a'.repeat(50)}\n`,
    });
    const inventory = await collectInventory({ root, agentVersion: '0.1.0', now: new Date('2026-11-22T00:00:00Z') });
    expect(inventorySchema.safeParse(inventory).success).toBe(true);
    expect(inventory.host.os).toEqual({ id: 'debian', versionId: '12', prettyName: 'Debian\\x01\\x1b[2J 12', ecosystem: 'Debian:12' });
    expect(inventory.host.kernel?.release).toBe('6.1.0\\x07-amd64');
    expect(inventory.host.arch).toBe(nodeArch());
    // The package itself carries the hostile architecture and is left out, counted.
    expect(inventory.collectors.find((c) => c.name === 'dpkg')?.message).toContain('1 item(s) left out');
  });
});
