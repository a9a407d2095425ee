import { generateKeyPairSync } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  ACTION_KEY_SET_SCHEMA,
  type ActionKeySetPayload,
  actionCommandSchema,
  actionPayloadSchema,
  checkInResponseSchema,
  EnvelopeError,
  INVENTORY_SCHEMA,
  type Inventory,
  inventoryDigest,
  inventorySchema,
  openActionKeySet,
  openEnvelope,
  PROTOCOL_LIMITS,
  sealActionKeySet,
  sealEnvelope,
  trustedKeyOf,
} from './index.ts';

function inventoryOf(packageCount: number): Inventory {
  return inventorySchema.parse({
    schema: INVENTORY_SCHEMA,
    collectedAt: '2026-11-22T10:00:00Z',
    agentVersion: '0.1.0',
    host: {
      hostname: 'web-01',
      arch: 'amd64',
      kernel: { release: '6.1.0-27-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1' },
      os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', ecosystem: 'Debian:12' },
      packagesUpdatedAt: '2026-11-20T08:00:00Z',
      rebootRequired: false,
    },
    packages: Array.from({ length: packageCount }, (_, i) => ({
      ecosystem: 'Debian',
      name: `lib-package-number-${i}-common`,
      version: `1:2.${i}.3-4+deb12u${i % 7}`,
      source: { name: `package-number-${i}`, version: `1:2.${i}.3-4+deb12u${i % 7}` },
      arch: 'amd64',
    })),
    wordpress: [],
    configFacts: [
      { id: 'ssh.permit_root_login', severity: 'HIGH', observed: 'PermitRootLogin yes', evidence: ['/etc/ssh/sshd_config:32'] },
      { id: 'accounts.uid0', severity: 'HIGH', observed: 'UID 0', subject: 'toor' },
    ],
    services: [{ protocol: 'tcp', address: '0.0.0.0', port: 22 }],
    collectors: [{ name: 'dpkg', status: 'ok', items: packageCount, durationMs: 12.5 }],
  });
}

describe('inventory', () => {
  it('fits 3,000 packages in the 1 MB body limit once gzipped', () => {
    const body = gzipSync(JSON.stringify(inventoryOf(3_000)));
    expect(body.length).toBeLessThan(PROTOCOL_LIMITS.bodyBytes / 4);
  });

  it('digests what the machine is, not when or how fast it was collected, nor in which order', () => {
    const a = inventoryOf(50);
    const b: Inventory = {
      ...a,
      collectedAt: '2026-11-23T11:00:00Z',
      packages: [...a.packages].reverse(),
      configFacts: [...a.configFacts].reverse(),
      collectors: a.collectors.map((c) => ({ ...c, durationMs: 99 })),
    };
    expect(inventoryDigest(b)).toBe(inventoryDigest(a));
    const upgraded = { ...a, packages: a.packages.map((p, i) => (i === 3 ? { ...p, version: '1:9.9-1' } : p)) };
    expect(inventoryDigest(upgraded)).not.toBe(inventoryDigest(a));
  });

  it('refuses more packages than the limit, control characters and unknown fields', () => {
    const base = inventoryOf(1);
    const tooMany = { ...base, packages: Array.from({ length: PROTOCOL_LIMITS.packages + 1 }, () => base.packages[0]) };
    expect(inventorySchema.safeParse(tooMany).success).toBe(false);
    const nul = { ...base, packages: [{ ...base.packages[0], name: 'a\u0000b' }] };
    expect(inventorySchema.safeParse(nul).success).toBe(false);
    expect(inventorySchema.safeParse({ ...base, extra: 1 }).success).toBe(false);
    expect(inventorySchema.safeParse({ ...base, schema: 'vigil.inventory/2' }).success).toBe(false);
  });
});

describe('action commands', () => {
  it.each(['-o Dpkg::Options::=--force-all', 'a;rm -rf /', '$(id)', 'pkg name', '../x'])('refuses the package name %j', (name) => {
    expect(actionCommandSchema.safeParse({ kind: 'upgrade_packages', packages: [{ name, version: '1.0' }] }).success).toBe(false);
  });

  const upgrade = (name: string, version: string) =>
    actionCommandSchema.safeParse({ kind: 'upgrade_packages', packages: [{ name, version }] }).success;

  // Regression: apt reads a trailing `-` as "remove" and `+` as "install" (`apt-get install
  // less=590-2.1~deb12u2-` removed less), so an approved upgrade could have removed a package.
  it.each([
    ['less', '590-2.1~deb12u2-'],
    ['less', '590-2.1~deb12u2+'],
    ['less', '590-2.1~'],
    ['less', '1.0.'],
    ['openssh-server-', '1:9.2p1-2+deb12u3'],
    ['libstdc++6.', '12.2.0-14'],
  ])('refuses %s=%s (an apt install/remove marker at the end)', (name, version) => {
    expect(upgrade(name, version)).toBe(false);
  });

  it.each([
    ['openssh-server', '1:8.2p1-4ubuntu0.11'],
    ['sqlite', '2.36.7-1.el8_7.1'],
    ['busybox', '1.35.0-r17'],
    ['less', '590-2.1~deb12u2'],
    ['libstdc++6', '12.2.0-14'],
    ['g++', '4:12.2.0-3'],
    ['a', '1'],
  ])('accepts %s=%s', (name, version) => {
    expect(upgrade(name, version)).toBe(true);
  });

  it('refuses a unit name that looks like an option', () => {
    expect(actionCommandSchema.safeParse({ kind: 'restart_service', unit: '--all' }).success).toBe(false);
  });
});

describe('signed envelopes', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const trusted = [trustedKeyOf('k1', publicKey)];
  const payload = {
    schema: 'vigil.action/1',
    actionId: '8d7f7a4e-8a43-4f7e-9c0e-1d1f7e2b8a11',
    assetId: '0b6f1c36-4f5c-4a4b-9a62-2f8d2f1c0e55',
    command: { kind: 'restart_service', unit: 'nginx.service' },
    issuedAt: '2026-11-22T10:00:00Z',
    expiresAt: '2026-11-22T11:00:00Z',
    nonce: 'q8Xz1m2N3b4V5c6X7z8A9s',
    timeoutSeconds: 60,
  };

  it('opens what the trusted key sealed', () => {
    expect(openEnvelope(sealEnvelope(payload, 'k1', privateKey), trusted, actionPayloadSchema)).toEqual(payload);
  });

  it('refuses a changed byte, another key, an unknown kid and an unsigned payload that fails the schema', () => {
    const sealed = sealEnvelope(payload, 'k1', privateKey);
    const flipped = sealed.payload.slice(0, 10) + (sealed.payload[10] === 'A' ? 'B' : 'A') + sealed.payload.slice(11);
    const reason = (call: () => unknown) => {
      try {
        call();
        return 'opened';
      } catch (error) {
        return (error as EnvelopeError).reason;
      }
    };
    expect(reason(() => openEnvelope({ ...sealed, payload: flipped }, trusted, actionPayloadSchema))).toBe('bad_signature');
    expect(reason(() => openEnvelope(sealEnvelope(payload, 'k1', other.privateKey), trusted, actionPayloadSchema))).toBe('bad_signature');
    expect(reason(() => openEnvelope({ ...sealed, kid: 'k2' }, trusted, actionPayloadSchema))).toBe('unknown_key');
    const wrongShape = sealEnvelope({ ...payload, command: { kind: 'shell', line: 'id' } }, 'k1', privateKey);
    expect(reason(() => openEnvelope(wrongShape, trusted, actionPayloadSchema))).toBe('malformed');
    expect(EnvelopeError).toBeDefined();
  });
});

describe('signed action key sets', () => {
  const old = generateKeyPairSync('ed25519');
  const next = generateKeyPairSync('ed25519');
  const oldKey = trustedKeyOf('old', old.publicKey);
  const nextKey = trustedKeyOf('next', next.publicKey);
  const payload: ActionKeySetPayload = {
    schema: ACTION_KEY_SET_SCHEMA,
    assetId: '0b6f1c36-4f5c-4a4b-9a62-2f8d2f1c0e55',
    keys: [nextKey, oldKey],
    issuedAt: '2026-11-22T10:00:00.000Z',
  };
  const set = sealActionKeySet(payload, [
    { kid: 'next', privateKey: next.privateKey },
    { kid: 'old', privateKey: old.privateKey },
  ]);

  it('opens with any one of the keys that signed it, skipping signatures by keys not trusted', () => {
    expect(set.signatures.map((s) => s.kid)).toEqual(['next', 'old']);
    expect(openActionKeySet(set, [oldKey])).toEqual(payload);
    expect(openActionKeySet(set, [nextKey])).toEqual(payload);
  });

  it('refuses a set no trusted key signed, a changed payload, and a signature moved to another kid', () => {
    const stranger = trustedKeyOf('old', generateKeyPairSync('ed25519').publicKey);
    expect(() => openActionKeySet(set, [stranger])).toThrow(EnvelopeError);
    const changed = Buffer.from(JSON.stringify({ ...payload, keys: [stranger] })).toString('base64url');
    expect(() => openActionKeySet({ ...set, payload: changed }, [oldKey, nextKey])).toThrow(/signature/);
    const moved = { ...set, signatures: [{ kid: 'old', signature: set.signatures[0]?.signature as string }] };
    expect(() => openActionKeySet(moved, [oldKey])).toThrow(/signature/);
  });

  it('is required in a check-in answer, and a bare key list is no longer accepted there', () => {
    const answer = { serverTime: payload.issuedAt, nextCheckInSeconds: 60, inventoryWanted: false, actionsPending: 0, update: null };
    expect(checkInResponseSchema.safeParse({ ...answer, actionKeySet: set }).success).toBe(true);
    expect(checkInResponseSchema.safeParse({ ...answer, actionKeys: [oldKey] }).success).toBe(false);
    expect(checkInResponseSchema.safeParse({ ...answer, actionKeySet: { ...set, signatures: [] } }).success).toBe(false);
  });
});
