import { readFileSync } from 'node:fs';
import {
  type InstalledPackage,
  parseApkInstalled,
  parseComposerLock,
  parseDpkgStatus,
  parsePackageLock,
  parsePoetryLock,
} from '@vigil/vulndb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ScanDocument } from '../src/cli/scan-report/contract.ts';
import { referenceFindings } from './helpers/reference-matcher.ts';
import { advisoryArgs, allFixtureRecords, FIXTURES, vigilScan } from './helpers/scan-fixtures.ts';

/**
 * `vigil scan` on every fixture inventory against every fixture advisory yields exactly the
 * finding set a plain independent evaluation computes: nothing missed, nothing extra.
 */
interface Case {
  file: string;
  args?: string[];
  osEcosystem: string | null;
  packages(text: string): InstalledPackage[];
  /** A floor, so a case that silently stops matching anything cannot pass. */
  atLeast: number;
}

const CASES: Case[] = [
  {
    file: 'inventories/ubuntu-18.04-bionic.dpkg-status',
    osEcosystem: 'Ubuntu:18.04:LTS',
    packages: (t) => parseDpkgStatus(t, 'status', { ecosystem: 'Ubuntu' }).packages,
    atLeast: 20,
  },
  {
    file: 'inventories/debian-12-this-machine.dpkg-status',
    osEcosystem: 'Debian:12',
    packages: (t) => parseDpkgStatus(t, 'status', { ecosystem: 'Debian' }).packages,
    atLeast: 1,
  },
  { file: 'inventories/nodegoat.package-lock.json', osEcosystem: null, packages: (t) => parsePackageLock(t, 'p').packages, atLeast: 15 },
  {
    file: 'inventories/bookstack-2024.package-lock.json',
    osEcosystem: null,
    packages: (t) => parsePackageLock(t, 'p').packages,
    atLeast: 0,
  },
  { file: 'inventories/bookstack-2024.composer.lock', osEcosystem: null, packages: (t) => parseComposerLock(t, 'c').packages, atLeast: 0 },
  { file: 'inventories/poetry-2026.poetry.lock', osEcosystem: null, packages: (t) => parsePoetryLock(t, 'p').packages, atLeast: 0 },
  {
    file: 'inventories/alpine/alpine-3.16-syft-multiple-2.apk-installed',
    args: ['--distro', 'alpine:3.16'],
    osEcosystem: 'Alpine:v3.16',
    packages: (t) => parseApkInstalled(t, 'installed').packages,
    atLeast: 0,
  },
];

describe('vigil scan reproduces the reference finding set on every fixture inventory', () => {
  let records: Awaited<ReturnType<typeof allFixtureRecords>>;
  beforeAll(async () => {
    records = await allFixtureRecords();
  });

  it.each(CASES)('$file', async (c) => {
    const path = `${FIXTURES}${c.file}`;
    const run = await vigilScan([path, '--format', 'json', ...(c.args ?? []), ...advisoryArgs()]);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as ScanDocument;
    expect(doc.schema).toBe('vigil.scan/1');
    expect(doc.sources).toEqual([expect.objectContaining({ path, packages: expect.any(Number) })]);

    const expected = referenceFindings(c.packages(readFileSync(path, 'utf8')), c.osEcosystem, records);
    expect(expected.length).toBeGreaterThanOrEqual(c.atLeast);
    // Each finding must be one reference group (its id one of the group's records), one to one.
    const unmatched = [...expected];
    const extra: string[] = [];
    for (const f of doc.findings) {
      const at = unmatched.findIndex((g) => g.package === f.package && g.version === f.version && g.recordIds.has(f.id));
      if (at < 0) extra.push(`${f.package} ${f.version} ${f.id}`);
      else {
        const group = unmatched.splice(at, 1)[0];
        for (const id of group?.recordIds ?? []) if (id !== f.id) expect(f.aliases).toContain(id);
      }
    }
    expect({ extra, missed: unmatched.map((g) => `${g.package} ${g.version} ${[...g.recordIds].join('+')}`) }).toEqual({
      extra: [],
      missed: [],
    });
  });
});
