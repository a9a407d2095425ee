import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffPackages, firstDuplicate, storedOf } from './package-diff.ts';
import { packageFindingKey, packageKeyOf } from './package-findings.ts';

const pkg = (name: string, version: string, extra: Record<string, unknown> = {}) => storedOf({ ecosystem: 'npm', name, version, ...extra });

describe('diffPackages', () => {
  it('finds added, changed and removed packages, with one history row each', () => {
    const before = [pkg('a', '1.0.0'), pkg('b', '1.0.0'), pkg('c', '1.0.0')];
    const after = [pkg('a', '1.0.0'), pkg('b', '2.0.0'), pkg('d', '1.0.0')];
    const diff = diffPackages(before, after);
    expect(diff.added.map((p) => p.name)).toEqual(['d']);
    expect(diff.changed.map((p) => p.name)).toEqual(['b']);
    expect(diff.removed.map((p) => p.name)).toEqual(['c']);
    expect(diff.changes).toEqual([
      { change: 'changed', ecosystem: 'npm', name: 'b', arch: '', location: '', old_version: '1.0.0', new_version: '2.0.0' },
      { change: 'added', ecosystem: 'npm', name: 'd', arch: '', location: '', old_version: null, new_version: '1.0.0' },
      { change: 'removed', ecosystem: 'npm', name: 'c', arch: '', location: '', old_version: '1.0.0', new_version: null },
    ]);
  });

  it('tells packages apart by architecture and location, and sees a changed source or dev flag', () => {
    const before = [pkg('libc6', '2.27', { arch: 'amd64' }), pkg('lodash', '4.0.0', { location: '/a/package-lock.json' })];
    const after = [
      pkg('libc6', '2.27', { arch: 'amd64' }),
      pkg('libc6', '2.27', { arch: 'i386' }),
      pkg('lodash', '4.0.0', { location: '/a/package-lock.json', dev: true }),
      pkg('lodash', '4.0.0', { location: '/b/package-lock.json' }),
    ];
    const diff = diffPackages(before, after);
    expect(diff.added.map((p) => `${p.name}/${p.arch}/${p.location}`)).toEqual(['libc6/i386/', 'lodash///b/package-lock.json']);
    expect(diff.changed.map((p) => p.name)).toEqual(['lodash']);
    expect(diffPackages(after, after).changes).toEqual([]);
  });
});

describe('identities', () => {
  it('names the first duplicate', () => {
    expect(firstDuplicate([pkg('a', '1'), pkg('b', '1'), pkg('a', '2')])?.version).toBe('2');
    expect(firstDuplicate([pkg('a', '1'), pkg('a', '1', { arch: 'x' })])).toBeNull();
  });

  it('keeps finding keys short and distinct however long or odd the package identity', () => {
    const long = pkg('x'.repeat(256), '1', { location: `/${'d'.repeat(1023)}`, arch: 'a'.repeat(32) });
    const key = packageFindingKey(packageKeyOf(long), 'GHSA-aaaa-bbbb-cccc');
    expect(key.length).toBeLessThan(100);
    // A separator inside a name cannot make two identities collide.
    expect(packageKeyOf(pkg('a","b', '1'))).not.toBe(packageKeyOf({ ...pkg('a', '1'), arch: 'b' }));
  });

  it('tells identities apart exactly as packageKeyOf does, whatever digits and separators their fields hold', () => {
    // Identities cut from one string at different places: any key that loses where a field ends collides.
    const text = fc.string({ unit: fc.constantFrom('a', '1', ':', '"', ',', '\u0000'), maxLength: 6 });
    const cut = fc.array(fc.nat(6), { minLength: 3, maxLength: 3 });
    const identity = fc.tuple(text, cut, fc.constantFrom('1', '2')).map(([t, at, version]) => {
      const [i, j, k] = [...at].map((n) => Math.min(n, t.length)).sort((x, y) => x - y) as [number, number, number];
      return { ecosystem: t.slice(0, i), name: t.slice(i, j), arch: t.slice(j, k), location: t.slice(k), version };
    });
    fc.assert(
      fc.property(fc.array(identity, { maxLength: 8 }), fc.array(identity, { maxLength: 8 }), (a, b) => {
        const listed = (list: typeof a) => list.map((p) => pkg(p.name, p.version, { ...p, name: p.name }));
        const incoming = listed(b);
        const seen = new Set<string>();
        const duplicate = incoming.find((p) => seen.size === seen.add(packageKeyOf(p)).size) ?? null;
        expect(firstDuplicate(incoming)).toBe(duplicate);
        if (duplicate) return;
        const stored = [...new Map(listed(a).map((p) => [packageKeyOf(p), p])).values()];
        const keys = (list: { ecosystem: string; name: string; arch: string; location: string }[]) => list.map(packageKeyOf).sort();
        const before = new Set(stored.map(packageKeyOf));
        const after = new Set(incoming.map(packageKeyOf));
        const diff = diffPackages(stored, incoming);
        expect(keys(diff.added)).toEqual(keys(incoming.filter((p) => !before.has(packageKeyOf(p)))));
        expect(keys(diff.removed)).toEqual(keys(stored.filter((p) => !after.has(packageKeyOf(p)))));
      }),
      { numRuns: 300 },
    );
  });
});
