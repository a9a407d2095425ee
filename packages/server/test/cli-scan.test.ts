import { mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanDocument } from '../src/cli/scan-report/contract.ts';
import { advisoryArgs, FIXTURES, vigilScan } from './helpers/scan-fixtures.ts';

const BIONIC = `${FIXTURES}inventories/ubuntu-18.04-bionic.dpkg-status`;
const USN = advisoryArgs([`${FIXTURES}osv/ubuntu-usn`]);
const NPM = advisoryArgs([`${FIXTURES}osv/ghsa-npm`]);
const NODEGOAT = `${FIXTURES}inventories/nodegoat.package-lock.json`;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-scan-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const json = (stdout: string) => JSON.parse(stdout) as ScanDocument;
const ids = (doc: ScanDocument) => doc.findings.map((f) => `${f.package} ${f.version} ${f.id}`);

describe('distribution semantics on the bionic status file', () => {
  let doc: ScanDocument;
  beforeAll(async () => {
    const run = await vigilScan([BIONIC, '--format', 'json', ...USN]);
    expect(run.code).toBe(0);
    doc = json(run.stdout);
  });

  it('detects the release from the content and says how', async () => {
    const run = await vigilScan([BIONIC, '--format', 'json', ...USN]);
    expect(run.stderr).toMatch(/release detected from the file's content: .*18\.04/);
    expect(doc.sources[0]).toMatchObject({ type: 'dpkg-status', ecosystem: 'Ubuntu:18.04:LTS', packages: 2237 });
  });

  it('reports a binary package whose source is vulnerable, naming the source', () => {
    const bsdutils = doc.findings.find((f) => f.package === 'bsdutils' && f.id === 'USN-4512-1');
    expect(bsdutils).toMatchObject({
      source_package: 'util-linux',
      version: '1:2.31.1-0.4ubuntu3.4',
      fixed_version: '2.31.1-0.4ubuntu3.7',
      fix_state: 'fixed',
    });
    expect(bsdutils?.match).toBe(
      'USN-4512-1 Ubuntu:18.04:LTS util-linux: introduced 0, fixed 2.31.1-0.4ubuntu3.7; 2.31.1-0.4ubuntu3.4 < 2.31.1-0.4ubuntu3.7 (installed bsdutils 1:2.31.1-0.4ubuntu3.4 is built from util-linux 2.31.1-0.4ubuntu3.4)',
    );
  });

  it('matches the contract example for sudo, with severity and CVSS from the advisory', () => {
    expect(doc.findings.find((f) => f.package === 'sudo' && f.id === 'USN-4705-1')).toEqual({
      ecosystem: 'Ubuntu:18.04:LTS',
      package: 'sudo',
      source_package: 'sudo',
      version: '1.8.21p2-3ubuntu1.1',
      id: 'USN-4705-1',
      aliases: ['CVE-2021-23239', 'CVE-2021-3156'],
      fixed_version: '1.8.21p2-3ubuntu1.4',
      fix_state: 'fixed',
      severity: 'HIGH',
      cvss: { version: '3.1', score: 7.8, vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' },
      kev: null,
      epss: null,
      // No KEV or EPSS data in a file-only scan: HIGH alone makes it P3, due on the SLA.
      priority: { label: 'P3', rank: 4, due_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), due_by: 'sla' },
      summary: 'sudo vulnerabilities',
      match: 'USN-4705-1 Ubuntu:18.04:LTS sudo: introduced 0, fixed 1.8.21p2-3ubuntu1.4; 1.8.21p2-3ubuntu1.1 < 1.8.21p2-3ubuntu1.4',
    });
  });

  it('does not report a fix the installed version already has (equal or backported revision)', () => {
    // USN-4154-1 fixed sudo in 1.8.21p2-3ubuntu1.1: exactly the installed version.
    expect(ids(doc)).not.toContain('sudo 1.8.21p2-3ubuntu1.1 USN-4154-1');
  });

  it('never matches advisories of another release (USN-2363-1 bash has only a 14.04 entry)', () => {
    expect(doc.findings.filter((f) => ['USN-2363-1', 'USN-2232-1', 'USN-4038-2', 'USN-4263-2'].includes(f.id))).toEqual([]);
    expect(doc.findings.every((f) => f.ecosystem === 'Ubuntu:18.04:LTS')).toBe(true);
  });

  it('scanned as another release, the same file gets that release’s answer', async () => {
    const run = await vigilScan([BIONIC, '--format', 'json', '--distro', 'ubuntu:16.04', ...USN]);
    expect(run.code).toBe(0);
    const other = json(run.stdout);
    expect(other.sources[0]?.ecosystem).toBe('Ubuntu:16.04:LTS');
    expect(other.findings.every((f) => f.match.includes('Ubuntu:16.04:LTS'))).toBe(true);
    expect(ids(other)).not.toEqual(ids(doc));
  });
});

describe('output formats and filters', () => {
  it('the table fits 80 columns and groups by package', async () => {
    const run = await vigilScan([NODEGOAT, ...NPM]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    const lodash = lines.findIndex((l) => l.startsWith('lodash 4.17.11'));
    expect(lodash).toBeGreaterThan(-1);
    expect(lines[lodash + 1]).toMatch(/^ {2}CRITICAL +GHSA-jf85-cpcp-j695 +fix: 4\.17\.12$/);
    expect(lines.at(-3)).toMatch(/^\d+ vulnerabilities in \d+ of \d+ packages \(1 inventory\)$/);
    expect(lines.at(-2)).toMatch(/^\d+ critical, \d+ high, \d+ medium$/);
  });

  it('SARIF 2.1.0 names each rule once and locates results at the lockfile', async () => {
    const run = await vigilScan([NODEGOAT, '--format', 'sarif', ...NPM]);
    expect(run.code).toBe(0);
    const sarif = JSON.parse(run.stdout);
    expect(sarif.version).toBe('2.1.0');
    const rules = sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
    expect(new Set(rules).size).toBe(rules.length);
    const result = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'GHSA-jf85-cpcp-j695');
    expect(result.level).toBe('error');
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toContain('nodegoat.package-lock.json');
    expect(
      sarif.runs[0].tool.driver.rules.find((r: { id: string }) => r.id === 'GHSA-jf85-cpcp-j695').properties['security-severity'],
    ).toBe('9.1');
  });

  it('--fail-on sets exit 1 only when a finding reaches the threshold', async () => {
    const critical = await vigilScan([NODEGOAT, '--format', 'json', '--fail-on', 'critical', ...NPM]);
    expect(critical.code).toBe(1);
    expect(critical.stderr).toMatch(/\d+ findings at or above CRITICAL/);
    expect(json(critical.stdout).findings.length).toBeGreaterThan(0);
    const clean = await vigilScan([`${FIXTURES}inventories/bookstack-2024.composer.lock`, '--fail-on', 'LOW', ...NPM]);
    expect(clean.code).toBe(0);
  });

  it('--only-fixable keeps findings with a fixed version', async () => {
    const dir = join(work, 'fixable');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'advisory.json'),
      JSON.stringify({
        id: 'TEST-OPEN-1',
        modified: '2024-01-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }],
      }),
    );
    const all = json((await vigilScan([NODEGOAT, '--format', 'json', '--advisories', dir, ...NPM])).stdout);
    const open = all.findings.filter((f) => f.id === 'TEST-OPEN-1');
    expect(open.length).toBeGreaterThan(0);
    expect(open.every((f) => f.fix_state === 'not_fixed' && f.fixed_version === null)).toBe(true);
    const fixable = json((await vigilScan([NODEGOAT, '--format', 'json', '--only-fixable', '--advisories', dir, ...NPM])).stdout);
    expect(fixable.findings.some((f) => f.id === 'TEST-OPEN-1')).toBe(false);
    expect(fixable.findings.length).toBe(all.findings.length - open.length);
  });

  it('--ignore drops accepted ids until they expire, and says when an entry has expired', async () => {
    const file = join(work, 'ignore.yaml');
    await writeFile(
      file,
      [
        'ignore:',
        '  - id: CVE-2019-10744', // an alias of GHSA-jf85-cpcp-j695
        '    reason: lodash is only used at build time',
        '    expires: 2999-12-31',
        '  - id: GHSA-xvch-5gv4-984h',
        '    reason: old exception',
        '    expires: 2001-01-01',
      ].join('\n'),
    );
    const run = await vigilScan([NODEGOAT, '--format', 'json', '--ignore', file, ...NPM]);
    expect(run.code).toBe(0);
    const doc = json(run.stdout);
    expect(doc.findings.some((f) => f.id === 'GHSA-jf85-cpcp-j695')).toBe(false);
    expect(doc.findings.some((f) => f.id === 'GHSA-xvch-5gv4-984h')).toBe(true);
    expect(run.stderr).toMatch(/ignore entry GHSA-xvch-5gv4-984h expired on 2001-01-01 and no longer applies: old exception/);
  });

  it('an ignore file without a reason or expiry is an input error', async () => {
    const file = join(work, 'bad-ignore.yaml');
    await writeFile(file, 'ignore:\n  - id: CVE-1\n');
    const run = await vigilScan([NODEGOAT, '--ignore', file, ...NPM]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad-ignore\.yaml: ignore\.0\.reason/);
  });
});

describe('root filesystems', () => {
  async function alpineRoot(name: string, versionId: string): Promise<string> {
    const root = join(work, name);
    await mkdir(join(root, 'lib/apk/db'), { recursive: true });
    await mkdir(join(root, 'usr/lib'), { recursive: true });
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'usr/lib/os-release'), `NAME="Alpine Linux"\nID=alpine\nVERSION_ID=${versionId}\n`);
    // Absolute, as in real images: it must resolve inside the root, not on this machine.
    await symlink('/usr/lib/os-release', join(root, 'etc/os-release'));
    await writeFile(
      join(root, 'lib/apk/db/installed'),
      [
        'C:Q1abc=',
        'P:busybox',
        'V:1.27.2-r3',
        'A:x86_64',
        'o:busybox',
        '',
        'C:Q1def=',
        'P:ssl_client',
        'V:1.27.2-r3',
        'A:x86_64',
        'o:busybox',
        '',
      ].join('\n'),
    );
    await mkdir(join(root, 'srv/app/node_modules/ignored'), { recursive: true });
    await writeFile(join(root, 'srv/app/node_modules/ignored/package-lock.json'), '{ not even json');
    return root;
  }

  it('reads the package database with the release from os-release, source packages via origin', async () => {
    const root = await alpineRoot('alpine-3.7', '3.7.3');
    const run = await vigilScan([root, '--format', 'json', ...advisoryArgs([`${FIXTURES}secdb/alpine`])]);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    const doc = json(run.stdout);
    expect(doc.sources).toEqual([
      { path: join(root, 'lib/apk/db/installed'), type: 'apk-installed', ecosystem: 'Alpine:v3.7', packages: 2 },
    ]);
    const cve = doc.findings.filter((f) => f.id === 'CVE-2017-16544');
    expect(cve.map((f) => f.package).sort()).toEqual(['busybox', 'ssl_client']);
    expect(cve[1]).toMatchObject({ source_package: 'busybox', fixed_version: '1.27.2-r4', fix_state: 'fixed' });
  });

  it('a huge os-release is read only as far as it matters', async () => {
    const root = await alpineRoot('alpine-huge-os-release', '3.7.3');
    await rm(join(root, 'etc/os-release'));
    await writeFile(join(root, 'etc/os-release'), 'ID=alpine\nVERSION_ID=3.7.3\n');
    // Sparse: 3 GiB on paper, nothing on disk.
    await truncate(join(root, 'etc/os-release'), 3 * 1024 * 1024 * 1024);
    const run = await vigilScan([root, '--format', 'json', ...advisoryArgs([`${FIXTURES}secdb/alpine`])]);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    expect(json(run.stdout).sources[0]?.ecosystem).toBe('Alpine:v3.7');
  });

  it('the same packages on another Alpine branch match nothing from v3.7', async () => {
    const root = await alpineRoot('alpine-3.16', '3.16.2');
    const run = await vigilScan([root, '--format', 'json', ...advisoryArgs([`${FIXTURES}secdb/alpine`])]);
    expect(run.code).toBe(0);
    expect(json(run.stdout)).toMatchObject({ sources: [{ ecosystem: 'Alpine:v3.16' }], findings: [] });
  });
});

describe('WordPress sites', () => {
  async function site(name: string, akismet: string): Promise<string> {
    const root = join(work, name);
    await mkdir(join(root, 'wp-includes'), { recursive: true });
    await mkdir(join(root, 'wp-content/plugins/akismet'), { recursive: true });
    await writeFile(join(root, 'wp-includes/version.php'), "<?php\n$wp_version = '6.9';\n");
    await writeFile(join(root, 'wp-content/plugins/akismet/akismet.php'), `<?php\n/*\nPlugin Name: Akismet\nVersion: ${akismet}\n*/\n`);
    return root;
  }
  const WORDFENCE = advisoryArgs([`${FIXTURES}wordpress/wpsecadv-wordfence-derived-31-files.zip`]);

  it('a WordPress root is matched against the Wordfence-derived feed, plugin by plugin', async () => {
    const run = await vigilScan([await site('wp-old', '2.0.1'), '--format', 'json', ...WORDFENCE]);
    expect(run.code).toBe(0);
    const doc = json(run.stdout);
    expect(doc.sources[0]).toMatchObject({ type: 'wordpress', ecosystem: 'WordPress', packages: 2 });
    const akismet = doc.findings.filter((f) => f.package === 'plugin/akismet');
    // "Akismet <= 2.0.1": the last affected version itself is reported.
    expect(akismet.find((f) => f.id === 'WF-e69122ed-8f18-4f2d-ba77-7538c7b6de6d')?.match).toBe(
      'WF-e69122ed-8f18-4f2d-ba77-7538c7b6de6d WordPress plugin/akismet: introduced 0, last affected 2.0.1; 2.0.1 <= 2.0.1',
    );
  });

  it('one version above the last affected one is not reported', async () => {
    const doc = json((await vigilScan([await site('wp-newer', '2.0.2'), '--format', 'json', ...WORDFENCE])).stdout);
    expect(doc.findings.some((f) => f.id === 'WF-e69122ed-8f18-4f2d-ba77-7538c7b6de6d')).toBe(false);
  });
});

describe('rpm lists without epochs', () => {
  it('compare as if the installed epoch were the advisory’s, and say so', async () => {
    const list = join(work, 'rpm-qa.txt');
    await writeFile(list, 'java-11-openjdk-11.0.12.0.7-4.el8_4.x86_64\njava-11-openjdk-headless-11.0.13.0.8-1.el8_4.x86_64\n');
    const rocky = advisoryArgs([`${FIXTURES}osv/rocky`]);
    const noDistro = await vigilScan([list, ...rocky]);
    expect(noDistro.code).toBe(2);
    expect(noDistro.stderr).toMatch(/rpm-qa\.txt: .*pass --distro/);

    const run = await vigilScan([list, '--format', 'json', '--distro', 'rocky:8', ...rocky]);
    expect(run.code).toBe(0);
    const doc = json(run.stdout);
    const findings = doc.findings.filter((f) => f.id === 'RLSA-2021:3891');
    // The old build is affected; the fixed build is not, although 0:11.0.13 < 1:11.0.13 would say so.
    expect(findings.map((f) => f.package)).toEqual(['java-11-openjdk']);
    expect(findings[0]?.match).toMatch(/fixed 1:11\.0\.13\.0\.8-1\.el8_4; .*epoch not in the inventory: taken as the advisory's \(1\)/);
  });
});

describe('bad input', () => {
  it('names a missing path, an unrecognised file and a usage error, with exit 2', async () => {
    const missing = await vigilScan([join(work, 'nope.lock'), ...NPM]);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/nope\.lock: no such file or directory/) });
    const text = join(work, 'notes.txt');
    await writeFile(text, 'hello\n');
    expect(await vigilScan([text, ...NPM])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/notes\.txt: not a recognised inventory/),
    });
    expect((await vigilScan([NODEGOAT])).code).toBe(2);
    expect((await vigilScan([NODEGOAT, '--format', 'xml', ...NPM])).code).toBe(2);
    expect((await vigilScan([NODEGOAT, '--fail-on', 'SEVERE', ...NPM])).code).toBe(2);
    expect(await vigilScan([BIONIC, '--distro', 'gentoo:2', ...USN])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/accepted forms/),
    });
  });

  it('a truncated advisory archive is exit 2 naming it; nothing is reported as clean', async () => {
    const whole = await readFile(`${FIXTURES}osv/ghsa-maven-zeppelin-slice-A.zip`);
    const truncated = join(work, 'truncated.zip');
    await writeFile(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    const run = await vigilScan([NODEGOAT, '--format', 'json', '--advisories', truncated]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/truncated\.zip: not a ZIP archive or truncated/);
  });

  it('an advisory file that is not advisories at all is exit 2 naming it, not a clean report', async () => {
    const notes = join(work, 'advisories.json');
    await writeFile(notes, '{"hello": "world"}');
    const run = await vigilScan([NODEGOAT, '--advisories', notes]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/advisories\.json: not an OSV record/);
  });

  it('an advisory directory in which nothing can be read is exit 2 naming it', async () => {
    const dir = join(work, 'all-broken');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'a.json'), '{ not json');
    await writeFile(join(dir, 'b.yaml'), 'id: [unclosed');
    const run = await vigilScan([NODEGOAT, '--advisories', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/all-broken: no advisory could be read \(2 problems, reported above\)/);
    expect(run.stderr).toMatch(/advisory skipped: .*a\.json: invalid JSON/);
  });

  it('a zip bomb among the advisories is exit 2 naming the archive and entry', async () => {
    const bomb = join(work, 'bomb.zip');
    await writeFile(bomb, zipWithOneEntry('npm/GHSA-bomb.json', Buffer.alloc(50 * 1024 * 1024, 0x20)));
    const run = await vigilScan([NODEGOAT, '--advisories', bomb]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /bomb\.zip: entry npm\/GHSA-bomb\.json declares \d+ bytes from \d+ compressed \(ratio above 100\): zip bomb/,
    );
  });

  it('a record that breaks the schema is named with its file and id, and the others still match', async () => {
    const dir = join(work, 'mixed-advisories');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'broken.json'), JSON.stringify({ id: 'GHSA-bad', modified: 7, affected: 'lodash' }));
    const run = await vigilScan([NODEGOAT, '--format', 'json', '--advisories', dir, ...NPM]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/advisory skipped: .*broken\.json \(GHSA-bad\): does not follow the OSV schema/);
    expect(json(run.stdout).findings.length).toBeGreaterThan(10);
  });

  it('a lockfile with 200,000 entries is scanned', async () => {
    const packages: Record<string, { version: string }> = { '': { version: '1.0.0' } };
    for (let i = 0; i < 200_000; i++) packages[`node_modules/p${i}`] = { version: `1.0.${i % 10}` };
    packages['node_modules/lodash'] = { version: '4.17.11' };
    const lock = join(work, 'huge', 'package-lock.json');
    await mkdir(join(work, 'huge'), { recursive: true });
    await writeFile(lock, JSON.stringify({ name: 'huge', lockfileVersion: 3, packages }));
    const run = await vigilScan([lock, '--format', 'json', ...NPM]);
    expect(run.code).toBe(0);
    const doc = json(run.stdout);
    expect(doc.sources[0]?.packages).toBe(200_001);
    expect(doc.findings.filter((f) => f.package === 'lodash').map((f) => f.id)).toContain('GHSA-jf85-cpcp-j695');
  });

  it('a 10 MB single line instead of a lockfile is exit 2 naming the file', async () => {
    const line = join(work, 'one-line', 'package-lock.json');
    await mkdir(join(work, 'one-line'), { recursive: true });
    await writeFile(line, `{"lockfileVersion": 3, "packages": ${'['.repeat(10 * 1024 * 1024)}`);
    const run = await vigilScan([line, ...NPM]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/one-line\/package-lock\.json: /);
  });

  it('--output writes the report to a file; an unwritable one is exit 2', async () => {
    const out = join(work, 'report.json');
    const run = await vigilScan([NODEGOAT, '--format', 'json', '-o', out, ...NPM]);
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(json(await readFile(out, 'utf8')).findings.length).toBeGreaterThan(10);
    const bad = await vigilScan([NODEGOAT, '-o', join(work, 'no-such-dir', 'r.txt'), ...NPM]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--output .*no-such-dir.*ENOENT/);
  });

  it('binary garbage as a lockfile is exit 2 naming the file', async () => {
    const garbage = join(work, 'package-lock.json');
    await writeFile(garbage, Buffer.from([0x00, 0xff, 0x13, 0x37, 0x00, 0x80, 0x90]));
    const run = await vigilScan([garbage, ...NPM]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/package-lock\.json: /);
  });

  it('a dpkg status file whose release cannot be told asks for --distro', async () => {
    const status = join(work, 'status');
    await writeFile(status, 'Package: foo\nStatus: install ok installed\nVersion: 1.0-1\n');
    const run = await vigilScan([status, ...USN]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot tell which .*release.*pass --distro/);
  });

  it('in a walked directory a broken lockfile is a warning and the rest is scanned', async () => {
    const dir = join(work, 'tree');
    await mkdir(join(dir, 'broken'), { recursive: true });
    await mkdir(join(dir, 'good'), { recursive: true });
    await writeFile(join(dir, 'broken/package-lock.json'), '{"lockfileVersion": 2, "packages": ');
    await writeFile(join(dir, 'good/package-lock.json'), await (await import('node:fs/promises')).readFile(NODEGOAT));
    const run = await vigilScan([dir, '--format', 'json', ...NPM]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/broken\/package-lock\.json: not scanned: /);
    expect(json(run.stdout).findings.length).toBeGreaterThan(0);
  });
});

/** A one-entry deflate ZIP with honest headers (a real bomb: tiny archive, huge declared content). */
function zipWithOneEntry(name: string, content: Buffer): Buffer {
  const data = deflateRawSync(content, { level: 9 });
  const fileName = Buffer.from(name);
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}
