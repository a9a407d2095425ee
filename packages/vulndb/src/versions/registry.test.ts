import { describe, expect, it } from 'vitest';
import { COMPARATORS } from './all.ts';
import { comparatorFor, KNOWN_ECOSYSTEMS, UnknownEcosystemError } from './registry.ts';

describe('comparatorFor', () => {
  it('serves every ecosystem the issue names, each from exactly one comparator', () => {
    for (const name of [
      'Debian',
      'Ubuntu',
      'Alpine',
      'Red Hat',
      'Rocky Linux',
      'AlmaLinux',
      'Fedora',
      'openSUSE',
      'npm',
      'PyPI',
      'Maven',
      'Go',
      'crates.io',
      'RubyGems',
      'Packagist',
      'NuGet',
      'WordPress',
    ]) {
      expect(KNOWN_ECOSYSTEMS).toContain(name);
    }
    const names = COMPARATORS.flatMap((c) => c.ecosystems.map((e) => e.toLowerCase()));
    expect(new Set(names).size).toBe(names.length);
  });

  it.each([
    ['Debian:12', 'Debian'],
    ['Ubuntu:18.04:LTS', 'Ubuntu'],
    ['Ubuntu:Pro:14.04:LTS', 'Ubuntu'],
    ['Alpine:v3.19', 'Alpine'],
    ['Red Hat:enterprise_linux:9::appstream', 'Red Hat'],
    ['Rocky Linux:8', 'Rocky Linux'],
    ['pypi', 'PyPI'],
  ])('maps %s to the %s comparator', (ecosystem, base) => {
    expect(comparatorFor(ecosystem)).toBe(comparatorFor(base));
    expect(comparatorFor(ecosystem).ecosystems).toContain(base);
  });

  it('orders the same way across releases of a distribution', () => {
    expect(comparatorFor('Ubuntu:18.04:LTS').compare('1.8.21p2-3ubuntu1.1', '1.8.21p2-3ubuntu1.4')).toBe(-1);
    expect(comparatorFor('Debian:12').compare('1:1.0', '2.0')).toBe(1);
  });

  it.each(['', 'Gentoo', 'Debianish', ':12'])('refuses the unknown ecosystem %j', (ecosystem) => {
    expect(() => comparatorFor(ecosystem)).toThrow(UnknownEcosystemError);
  });
});
