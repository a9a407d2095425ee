import { fileURLToPath } from 'node:url';
import { type OsvRecord, readAdvisories } from '@vigil/vulndb';
import { childEnv, SERVER_DIR, start, VIGIL_BIN } from './processes.ts';

export const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/', import.meta.url));

/** Every advisory source among the fixtures, as `--advisories` arguments take them. */
export const ALL_ADVISORIES = [
  'osv/go-vulndb-osv-GO-2020-to-2025.zip',
  'osv/pypa-advisory-database-PYSEC-2005-to-2021.zip',
  'osv/rustsec-osv-RUSTSEC-2016-to-2023.zip',
  'osv/ghsa-maven-zeppelin-slice-A.zip',
  'osv/almalinux/almalinux-osv-database-shared.zip',
  'osv/ghsa-npm',
  'osv/ubuntu-usn',
  'osv/rocky',
  'secdb/alpine',
  'debian-tracker',
].map((p) => `${FIXTURES}${p}`);

let cached: OsvRecord[] | undefined;

/** All fixture advisories as records (read once per test file). */
export async function allFixtureRecords(): Promise<OsvRecord[]> {
  if (cached) return cached;
  const records: OsvRecord[] = [];
  for (const path of ALL_ADVISORIES) {
    await readAdvisories(path, {
      record: (record) => records.push(record),
      problem: () => {},
    });
  }
  cached = records;
  return records;
}

export interface ScanRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function vigilScan(args: string[], cwd = SERVER_DIR): Promise<ScanRun> {
  const run = start(process.execPath, [VIGIL_BIN, 'scan', ...args], childEnv({}), cwd, 'pipe');
  run.child.stdin?.end();
  return run.exited;
}

export const advisoryArgs = (paths: readonly string[] = ALL_ADVISORIES): string[] => paths.flatMap((p) => ['--advisories', p]);
