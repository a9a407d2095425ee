import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import type { OsvRecord } from '../osv/model.ts';
import { readAdvisories } from './reader.ts';
import { documentFilterFor } from './relevance.ts';

describe('documentFilterFor', () => {
  const ubuntu = documentFilterFor(['Ubuntu:18.04:LTS', 'npm']);

  it('passes documents naming a wanted ecosystem, in any case and quoting', () => {
    expect(ubuntu('{"affected":[{"package":{"ecosystem":"Ubuntu:18.04:LTS","name":"sudo"}}]}')).toBe(true);
    expect(ubuntu("affected:\n- package:\n    ecosystem: 'NPM'\n")).toBe(true);
    expect(ubuntu('{"affected":[{"package":{"ecosystem": "PyPI"}},{"package":{"ecosystem":"npm"}}]}')).toBe(true);
  });

  it('skips documents whose every ecosystem is another', () => {
    expect(ubuntu('{"affected":[{"package":{"ecosystem":"PyPI","name":"ubuntu-tools"}}],"details":"affects Ubuntu users"}')).toBe(false);
    expect(ubuntu('affected:\n- package:\n    ecosystem: Go\n    name: npm\n')).toBe(false);
    expect(ubuntu('{"affected":[{"package":{"ecosystem":"Ubuntu-like"}}]}')).toBe(false);
  });

  it.each([
    [
      'JSON, a line break before the colon',
      '{"affected":[{"package":{"ecosystem"\n:"npm","name":"lodash"}},{"package":{"ecosystem":"Go"}}]}',
    ],
    ['JSON, an escape in the value', '{"affected":[{"package":{"ecosystem":"\\tnpm"}},{"package":{"ecosystem":"Go"}}]}'],
    ['JSON, an escape after the name', '{"affected":[{"package":{"ecosystem":"npm\\n"}},{"package":{"ecosystem":"Go"}}]}'],
    ['YAML, a comment before the value', 'affected:\n- package:\n    ecosystem: # c\n      npm\n- package:\n    ecosystem: Go\n'],
    ['YAML, a line continuation', 'affected:\n- package:\n    ecosystem: "n\\\n      pm"\n- package:\n    ecosystem: Go\n'],
    ['YAML, an escaped space', 'affected:\n- package:\n    ecosystem: "\\_npm"\n- package:\n    ecosystem: Go\n'],
    ['YAML, an explicit key', 'affected:\n- package:\n    ? ecosystem\n    : npm\n- package:\n    ecosystem: Go\n'],
  ])('parses an npm entry written unusually: %s', (_name, text) => {
    expect(documentFilterFor(['npm'])(text)).toBe(true);
  });

  it('prose saying "ecosystem:" in a distribution or WordPress feed does not hide the feed', () => {
    const tracker =
      '{"bash":{"CVE-2099-1":{"description":"the plugin ecosystem: attackers, distroversion","releases":{"bookworm":{"status":"open","urgency":"high"}}}}}';
    expect(documentFilterFor(['Debian:12'])(tracker)).toBe(true);
    const wordpress = '[{"advisoryId":"WPSECADV/WF/x/akismet","title":"WordPress core ecosystem: XSS","affectedVersions":"<1.0"}]';
    expect(documentFilterFor(['WordPress'])(wordpress)).toBe(true);
    expect(documentFilterFor(['npm'])(wordpress)).toBe(false);
  });

  it('parses whatever it cannot read with certainty', () => {
    // No ecosystem key at all: a Debian tracker, an Alpine secdb, or broken input to report.
    expect(ubuntu('{"apparmor":{"CVE-2016-1585":{"releases":{}}}}')).toBe(true);
    // An escape could spell the name in other characters.
    expect(ubuntu('{"affected":[{"package":{"ecosystem":"\\u0055buntu:18.04:LTS"}}]}')).toBe(true);
    expect(ubuntu('{"affected":[{"package":{"ecosyst\\u0065m":"Ubuntu:18.04:LTS"}}]}')).toBe(true);
    // YAML aliases, tags, block scalars, a value on the next line.
    expect(ubuntu('x: &e Ubuntu:18.04:LTS\naffected:\n- package:\n    ecosystem: *e\n')).toBe(true);
    expect(ubuntu('affected:\n- package:\n    ecosystem: !!str Ubuntu:18.04:LTS\n')).toBe(true);
    expect(ubuntu('affected:\n- package:\n    ecosystem: >\n      Ubuntu:18.04:LTS\n')).toBe(true);
    expect(ubuntu('affected:\n- package:\n    ecosystem:\n      Ubuntu:18.04:LTS\n')).toBe(true);
  });
});

describe('filtered reading never drops a record that concerns the scan', () => {
  const SOURCES = [
    'osv/go-vulndb-osv-GO-2020-to-2025.zip',
    'osv/pypa-advisory-database-PYSEC-2005-to-2021.zip',
    'osv/rustsec-osv-RUSTSEC-2016-to-2023.zip',
    'osv/ghsa-maven-zeppelin-slice-A.zip',
    'osv/almalinux/almalinux-osv-database-shared.zip',
    'osv/ubuntu-usn',
    'osv/ghsa-npm',
  ];

  async function read(ecosystems?: string[]): Promise<{ records: OsvRecord[]; skipped: number }> {
    const records: OsvRecord[] = [];
    let skipped = 0;
    for (const source of SOURCES) {
      const result = await readAdvisories(
        `${FIXTURES}${source}`,
        { record: (r) => records.push(r), problem: () => {} },
        ecosystems ? { ecosystems } : {},
      );
      skipped += result.skipped;
    }
    return { records, skipped };
  }

  let all: Awaited<ReturnType<typeof read>>;
  beforeAll(async () => {
    all = await read();
  });

  it.each([['Ubuntu:18.04:LTS'], ['PyPI'], ['Go'], ['npm'], ['crates.io'], ['AlmaLinux:8'], ['Maven'], ['NuGet']])(
    '%s',
    async (ecosystem) => {
      const filtered = await read([ecosystem]);
      const base = ecosystem.split(':')[0] as string;
      const concerned = all.records
        .filter((r) => (r.affected ?? []).some((a) => a.package?.ecosystem.split(':')[0] === base))
        .map((r) => r.id);
      expect(concerned.length).toBeGreaterThan(0);
      const kept = new Set(filtered.records.map((r) => r.id));
      expect(concerned.filter((id) => !kept.has(id))).toEqual([]);
      // And it does skip: most of the other ecosystems' documents are never parsed.
      expect(filtered.skipped).toBeGreaterThan(all.records.length / 2);
    },
  );
});

describe('documentFilterFor on the distribution feeds', () => {
  const secdb = 'distroversion: v3.7\nreponame: main\npackages:\n- pkg:\n    name: busybox\n';
  const tracker = '{"sudo":{"CVE-2021-3156":{"releases":{"bookworm":{"status":"resolved","urgency":"high"}}}}}';

  it('reads an Alpine secdb only for an Alpine scan, a Debian tracker only for a Debian scan', () => {
    expect(documentFilterFor(['Alpine:v3.7'])(secdb)).toBe(true);
    expect(documentFilterFor(['Ubuntu:18.04:LTS', 'npm'])(secdb)).toBe(false);
    expect(documentFilterFor(['Debian:12'])(tracker)).toBe(true);
    expect(documentFilterFor(['Alpine:v3.7', 'PyPI'])(tracker)).toBe(false);
  });
});
