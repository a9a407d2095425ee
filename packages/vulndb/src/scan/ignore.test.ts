import { describe, expect, it } from 'vitest';
import type { Finding } from '../match/finding.ts';
import { applyIgnores, IgnoreFileError, parseIgnoreFile } from './ignore.ts';

const finding = (id: string, aliases: string[] = [], pkg = 'sudo'): Finding => ({
  ecosystem: 'Ubuntu:18.04:LTS',
  package: pkg,
  sourcePackage: 'sudo',
  version: '1',
  id,
  aliases,
  fixedVersion: '2',
  fixState: 'fixed',
  severity: 'HIGH',
  cvss: null,
  summary: '',
  match: '',
  locations: [],
});

describe('parseIgnoreFile', () => {
  it('reads entries with id, reason, expiry and an optional package', () => {
    const rules = parseIgnoreFile(
      'ignore:\n  - id: CVE-1\n    reason: not reachable\n    expires: 2030-01-31\n    package: sudo\n',
      'i.yaml',
    );
    expect(rules).toEqual([{ id: 'CVE-1', reason: 'not reachable', expires: '2030-01-31', package: 'sudo' }]);
    expect(parseIgnoreFile('{"ignore": []}', 'i.json')).toEqual([]);
  });

  it.each([
    ['missing reason', 'ignore:\n  - id: CVE-1\n    expires: 2030-01-01\n', /ignore\.0\.reason/],
    ['missing expiry', 'ignore:\n  - id: CVE-1\n    reason: x\n', /ignore\.0\.expires/],
    ['not a date', 'ignore:\n  - id: CVE-1\n    reason: x\n    expires: next year\n', /expected a date YYYY-MM-DD/],
    ['impossible date', 'ignore:\n  - id: CVE-1\n    reason: x\n    expires: 2030-02-31\n', /expected a date/],
    ['unknown key', 'ignore:\n  - id: CVE-1\n    reason: x\n    expires: 2030-01-01\n    severity: low\n', /ignore\.0/],
    ['not YAML', 'ignore: [\n', /not valid YAML or JSON/],
    ['wrong shape', '- CVE-1\n', /\(top level\)/],
    [
      'alias bomb',
      `a: &a ["x","x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 30 }, (_, i) => `b${i}: &b${i} [${'*a,'.repeat(10)}*a]`).join('\n')}\n`,
      /not valid YAML|top level/,
    ],
  ])('%s is an IgnoreFileError naming the file', (_name, text, reason) => {
    let error: unknown;
    try {
      parseIgnoreFile(text, 'policy.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IgnoreFileError);
    expect((error as Error).message).toMatch(/^policy\.yaml: /);
    expect((error as Error).message).toMatch(reason);
  });

  it('refuses a huge file', () => {
    expect(() => parseIgnoreFile(`# ${'x'.repeat(5 * 1024 * 1024)}`, 'big.yaml')).toThrow(/larger than 4 MiB/);
  });
});

describe('applyIgnores', () => {
  const rules = [
    { id: 'CVE-2021-3156', reason: 'r1', expires: '2026-12-31' },
    { id: 'USN-9', reason: 'r2', expires: '2026-01-01' },
    { id: 'USN-8', reason: 'r3', expires: '2030-01-01', package: 'sudo-ldap' },
  ];

  it('matches the id or an alias, until and including the expiry day; expired entries are returned', () => {
    const findings = [finding('USN-4705-1', ['CVE-2021-3156']), finding('USN-9'), finding('USN-8')];
    const onTheDay = applyIgnores(findings, rules, '2026-12-31');
    expect(onTheDay.ignored.map((i) => i.finding.id)).toEqual(['USN-4705-1']);
    expect(onTheDay.kept.map((f) => f.id)).toEqual(['USN-9', 'USN-8']);
    expect(onTheDay.expired.map((r) => r.id)).toEqual(['USN-9']);
    const dayAfter = applyIgnores(findings, rules, '2027-01-01');
    expect(dayAfter.ignored).toEqual([]);
    expect(dayAfter.expired.map((r) => r.id)).toEqual(['CVE-2021-3156', 'USN-9']);
  });

  it('accepting one CVE a USN fixes does not hide the others it fixes; accepting all of them does', () => {
    const usn = { ...finding('USN-4705-1', ['CVE-2021-23239', 'CVE-2021-3156']), recordIds: ['USN-4705-1'] };
    const one = [{ id: 'CVE-2021-23239', reason: 'low risk here', expires: '2030-01-01', package: 'sudo' }];
    expect(applyIgnores([usn], one, '2026-06-01').kept).toEqual([usn]);
    const both = [...one, { id: 'CVE-2021-3156', reason: 'sudo not setuid', expires: '2030-01-01' }];
    expect(applyIgnores([usn], both, '2026-06-01').ignored.map((i) => i.finding.id)).toEqual(['USN-4705-1']);
    // The record's own alias is its identity: one rule is enough.
    const ghsa = { ...finding('GHSA-x', ['CVE-2019-10744']), recordIds: ['CVE-2019-10744', 'GHSA-x'] };
    expect(
      applyIgnores(
        [ghsa],
        one.map((r) => ({ ...r, id: 'CVE-2019-10744', package: undefined })),
        '2026-06-01',
      ).kept,
    ).toEqual([]);
  });

  it('package names compare as the ecosystem compares them', () => {
    const django = { ...finding('PYSEC-1'), ecosystem: 'PyPI', package: 'django', sourcePackage: null };
    expect(applyIgnores([django], [{ id: 'PYSEC-1', reason: 'r', expires: '2030-01-01', package: 'Django' }], '2026-06-01').kept).toEqual(
      [],
    );
  });

  it('an entry for one package leaves the others', () => {
    const out = applyIgnores([finding('USN-8', [], 'sudo'), finding('USN-8', [], 'sudo-ldap')], rules, '2026-06-01');
    expect(out.ignored.map((i) => i.finding.package)).toEqual(['sudo-ldap']);
  });
});
