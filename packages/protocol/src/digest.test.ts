import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, INVENTORY_SCHEMA, type Inventory, inventoryDigest } from './index.ts';

/**
 * The digest's definition written the plain way (one canonical string, then SHA-256): the
 * streamed implementation must hash exactly these bytes, or agents and servers of different
 * versions would disagree on whether a machine changed.
 */
function referenceDigest(inventory: Inventory): string {
  const { collectedAt: _at, collectors, ...rest } = inventory;
  const sortBy = <T>(items: readonly T[], key: (item: T) => string) =>
    [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const stable = {
    ...rest,
    packages: sortBy(rest.packages, (p) => [p.ecosystem, p.name, p.version, p.arch ?? '', p.location ?? ''].join('\u0000')),
    configFacts: sortBy(rest.configFacts, (f) => `${f.id}\u0000${f.subject ?? ''}`),
    services: sortBy(rest.services, (s) => `${s.protocol}\u0000${s.address}\u0000${s.port}`),
    wordpress: sortBy(rest.wordpress, (w) => w.path),
    collectors: sortBy(
      collectors.map(({ durationMs: _ms, ...report }) => report),
      (c) => c.name,
    ),
  };
  return createHash('sha256').update(canonicalJson(stable)).digest('hex');
}

// Short strings from a small alphabet (so sort keys collide and ties keep their order), with
// quotes, backslashes, non-ASCII and astral characters that JSON escaping must treat alike.
const str = fc.string({ unit: fc.constantFrom('a', 'b', '"', '\\', 'é', '😀', '\u2028', ' ', '1'), maxLength: 4 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const packageArb = fc
  .record(
    {
      ecosystem: str,
      name: str,
      version: str,
      source: maybe(fc.record({ name: str, version: str })),
      arch: maybe(str),
      epochKnown: maybe(fc.boolean()),
      location: maybe(str),
      dev: maybe(fc.boolean()),
    },
    { requiredKeys: ['ecosystem', 'name', 'version'] },
  )
  // Objects the protocol's type does not promise (an extra key, a source with a third member)
  // take the general path; the bytes must still be canonicalJson's.
  .chain((p) =>
    fc.constantFrom<Record<string, unknown>>(
      p,
      { ...p, extra: [1, { z: 1, a: null }] },
      { ...p, source: { ...(p.source ?? { name: 'n', version: 'v' }), more: true } },
    ),
  );

function inventoryWith(packages: unknown[]): Inventory {
  return {
    schema: INVENTORY_SCHEMA,
    collectedAt: '2026-11-22T10:00:00Z',
    agentVersion: '1.0.0',
    host: {
      hostname: 'h',
      arch: 'x86_64',
      kernel: null,
      os: null,
      packagesUpdatedAt: null,
      rebootRequired: null,
    },
    packages: packages as Inventory['packages'],
    wordpress: [{ path: '/var/www', coreVersion: '6.4', plugins: [{ slug: 'a', version: null, active: true }], themes: [] }],
    configFacts: [{ id: 'ssh.permit_root_login', severity: 'HIGH', observed: 'yes', evidence: [] }],
    services: [{ protocol: 'tcp', address: '0.0.0.0', port: 22 }],
    collectors: [{ name: 'dpkg', status: 'ok', items: packages.length, durationMs: 3 }],
  };
}

describe('inventoryDigest', () => {
  it('hashes exactly the canonical JSON of its definition', () => {
    fc.assert(
      fc.property(fc.array(packageArb, { maxLength: 30 }), (packages) => {
        const inventory = inventoryWith(packages);
        expect(inventoryDigest(inventory)).toBe(referenceDigest(inventory));
      }),
      { numRuns: 300 },
    );
  });

  it('is the same over a package list long enough to be hashed in several chunks', () => {
    const packages = Array.from({ length: 3_000 }, (_, i) => ({
      ecosystem: 'Ubuntu',
      name: `lib-${i}`,
      version: `1.${i}-0ubuntu1`,
      source: { name: `src-${i % 50}`, version: `1.${i}` },
      arch: 'amd64',
    }));
    const inventory = inventoryWith(packages);
    expect(inventoryDigest(inventory)).toBe(referenceDigest(inventory));
  });
});
