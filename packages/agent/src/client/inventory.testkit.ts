// Test support (not bundled): small valid inventories, and a collector that reads one from a root.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INVENTORY_SCHEMA, type Inventory, type InventoryPackage } from '@vigil/protocol';
import type { CollectFn } from '../run/collector.ts';

export function makeInventory(
  packages: InventoryPackage[] = [{ ecosystem: 'Debian', name: 'openssl', version: '3.0.11-1~deb12u2' }],
): Inventory {
  return {
    schema: INVENTORY_SCHEMA,
    collectedAt: new Date().toISOString(),
    agentVersion: '0.1.0',
    host: {
      hostname: 'web-1',
      arch: 'amd64',
      kernel: null,
      os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', ecosystem: 'Debian:12' },
      packagesUpdatedAt: null,
      rebootRequired: false,
    },
    packages,
    wordpress: [],
    configFacts: [],
    services: [],
    collectors: [{ name: 'dpkg', status: 'ok', items: packages.length, durationMs: 3 }],
  };
}

/**
 * A stand-in for the collectors that reads `<root>/packages.json` (name → version), so a test can
 * change "what is installed" by rewriting one file. The real collectors have their own tests.
 */
export const collectFromPackagesFile: CollectFn = async ({ root }) => {
  const installed = JSON.parse(await readFile(join(root, 'packages.json'), 'utf8')) as Record<string, string>;
  return makeInventory(Object.entries(installed).map(([name, version]) => ({ ecosystem: 'Debian', name, version })));
};
