import { describe, expect, it } from 'vitest';
import type { InventorySource } from './inventories.ts';
import { ecosystemsOf, installedNamesOf } from './scan.ts';

const source = (packages: InventorySource['packages'], osEcosystem: string | null = null): InventorySource => ({
  path: 'x',
  type: 't',
  ecosystem: null,
  osEcosystem,
  packages,
  warnings: [],
  notes: [],
});

describe('what a scan needs from the advisories', () => {
  const sources = [
    source(
      [
        { ecosystem: 'Ubuntu', name: 'bsdutils', version: '1', source: { name: 'util-linux', version: '1' } },
        { ecosystem: 'Ubuntu', name: 'sudo', version: '1', source: { name: 'sudo', version: '1' } },
      ],
      'Ubuntu:18.04:LTS',
    ),
    source([
      { ecosystem: 'PyPI', name: 'zope-interface', version: '5' },
      { ecosystem: 'npm', name: 'lodash', version: '4' },
    ]),
  ];

  it('the ecosystems: each OS release, each language ecosystem', () => {
    expect([...ecosystemsOf(sources)].sort()).toEqual(['PyPI', 'Ubuntu:18.04:LTS', 'npm']);
  });

  it('the packages: source and binary names for OS packages, normalised names for the rest', () => {
    const wanted = installedNamesOf(sources);
    expect(wanted('Ubuntu:18.04:LTS', 'util-linux')).toBe(true);
    expect(wanted('Ubuntu:16.04:LTS', 'bsdutils')).toBe(true);
    expect(wanted('PyPI', 'Zope.Interface')).toBe(true);
    expect(wanted('npm', 'lodash')).toBe(true);
    expect(wanted('npm', 'Lodash')).toBe(false);
    expect(wanted('Debian:12', 'sudo')).toBe(false);
    expect(wanted('PyPI', 'lodash')).toBe(false);
  });

  it('OS packages count under the release they are matched against (a Red Hat rpm on AlmaLinux)', () => {
    const sbom = [source([{ ecosystem: 'Red Hat', name: 'oci-umount', version: '2:2.3.0-1' }], 'AlmaLinux:8')];
    expect(installedNamesOf(sbom)('AlmaLinux:8', 'oci-umount')).toBe(true);
  });
});
