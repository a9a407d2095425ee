import type { InstalledPackage } from '../inventory/model.ts';

/**
 * From a distribution's identity (os-release `ID`, `VERSION_ID`, `VERSION`, `ID_LIKE`) to the OSV
 * ecosystem, with release, that the distribution's own advisories are filed under. The names are
 * the ones osv.dev's data uses:
 *
 * - Ubuntu `Ubuntu:18.04:LTS` / `Ubuntu:23.10` (canonical/ubuntu-security-notices; the LTS suffix
 *   is part of the name, so `Ubuntu:18.04` alone matches nothing);
 * - Debian `Debian:12` (major release only);
 * - Alpine `Alpine:v3.16` (branch = major.minor, with `v`);
 * - Rocky `Rocky Linux:8`, AlmaLinux `AlmaLinux:8` (major);
 * - RHEL `Red Hat:enterprise_linux:8`: Red Hat files advisories per repository stream
 *   (`Red Hat:enterprise_linux:8::baseos`, `…::appstream`), so callers must match this as a prefix;
 * - openSUSE Leap `openSUSE:Leap 15.5`, Tumbleweed `openSUSE:Tumbleweed`, SLES
 *   `SUSE:Linux Enterprise Server 15 SP5` (SUSE's OSV export spells the product name).
 *
 * Not mapped, with a reason instead of a guess: Fedora (we found no Fedora ecosystem in OSV data),
 * Debian testing/sid (no VERSION_ID and no release ecosystem), Alpine edge, and derivatives
 * (Linux Mint, Pop!_OS, Kali…) whose releases are not their parent's even when ID_LIKE names it.
 */

export interface DistroIdentity {
  /** os-release `ID` ('ubuntu', 'debian', 'alpine', 'rocky', 'almalinux', 'rhel'…). */
  id: string;
  /** os-release `VERSION_ID` ('18.04', '12', '3.16.2', '8.9'); absent on Debian testing/sid. */
  versionId?: string | undefined;
  /** os-release `VERSION` ('18.04.6 LTS (Bionic Beaver)'). */
  version?: string | undefined;
  /** os-release `ID_LIKE` ('debian', 'rhel centos fedora'). */
  idLike?: string | undefined;
}

export type DistroEcosystemAnswer = { ecosystem: string; evidence: string } | { ecosystem: null; reason: string };

/** The OSV ecosystem with release for a distribution, or null (see describeDistroEcosystem for why). */
export function ecosystemForDistro(distro: DistroIdentity): { ecosystem: string; evidence: string } | null {
  const answer = describeDistroEcosystem(distro);
  return answer.ecosystem === null ? null : { ecosystem: answer.ecosystem, evidence: answer.evidence };
}

/** Like ecosystemForDistro, but says why when there is no answer. */
export function describeDistroEcosystem(distro: DistroIdentity): DistroEcosystemAnswer {
  const id = distro.id.trim().toLowerCase();
  const versionId = distro.versionId?.trim() ?? '';
  const shown = `ID=${distro.id}${versionId ? ` VERSION_ID=${versionId}` : ''}`;
  const none = (reason: string): DistroEcosystemAnswer => ({ ecosystem: null, reason: `${shown}: ${reason}` });
  const found = (ecosystem: string, why = ''): DistroEcosystemAnswer => ({ ecosystem, evidence: `${shown}${why}` });
  const major = /^(\d+)(?:\.\d+)*$/.exec(versionId)?.[1];

  switch (id) {
    case 'ubuntu': {
      const m = /^(\d{2})\.(\d{2})$/.exec(versionId);
      if (!m) return none('not an Ubuntu YY.MM release');
      const [, yy, mm] = m as unknown as [string, string, string];
      if (distro.version?.includes('LTS')) return found(`Ubuntu:${versionId}:LTS`, ' (VERSION says LTS)');
      if (mm === '04' && Number(yy) % 2 === 0) return found(`Ubuntu:${versionId}:LTS`, ' (an even-year .04 release is LTS)');
      return found(`Ubuntu:${versionId}`);
    }
    case 'debian':
      if (versionId === '') return none('no VERSION_ID (Debian testing or sid): there is no release ecosystem for it in OSV');
      if (major === undefined) return none('VERSION_ID is not a Debian release number');
      return found(`Debian:${major}`);
    case 'alpine': {
      // Edge writes e.g. `3.19_alpha20231219`: a snapshot, not the v3.19 branch the advisories name.
      const m = /^(\d+)\.(\d+)(?:\.\d+)*$/.exec(versionId);
      if (!m) return none('not an Alpine x.y[.z] release (edge snapshots have no branch ecosystem)');
      return found(`Alpine:v${m[1]}.${m[2]}`);
    }
    case 'rocky':
      return major === undefined ? none('VERSION_ID has no major release') : found(`Rocky Linux:${major}`);
    case 'almalinux':
      return major === undefined ? none('VERSION_ID has no major release') : found(`AlmaLinux:${major}`);
    case 'rhel':
      return major === undefined ? none('VERSION_ID has no major release') : found(`Red Hat:enterprise_linux:${major}`);
    case 'opensuse-leap':
      return /^\d+\.\d+$/.test(versionId) ? found(`openSUSE:Leap ${versionId}`) : none('not a Leap x.y release');
    case 'opensuse-tumbleweed':
      return found('openSUSE:Tumbleweed', ' (rolling release)');
    case 'sles': {
      const m = /^(\d+)(?:\.(\d+))?$/.exec(versionId);
      if (!m) return none('not a SLES release number');
      return found(`SUSE:Linux Enterprise Server ${m[1]}${m[2] && m[2] !== '0' ? ` SP${m[2]}` : ''}`);
    }
    case 'fedora':
      return none('no Fedora ecosystem is known in OSV data; pass --distro only for a distribution OSV covers');
    default: {
      const like = distro.idLike?.trim();
      return none(
        like
          ? `not a distribution OSV files advisories for; ID_LIKE=${like} says it derives from another, but its release numbers are its own, so the parent's release cannot be inferred (use --distro)`
          : 'not a distribution OSV files advisories for',
      );
    }
  }
}

export const ACCEPTED_DISTRO_FORMS = [
  'ubuntu:18.04',
  'debian:12',
  'alpine:3.16',
  'rocky:8',
  'almalinux:8',
  'rhel:8',
  'opensuse-leap:15.5',
  'sles:15.5',
  'Ubuntu:18.04:LTS',
  'Ubuntu:23.10',
  'Debian:12',
  'Alpine:v3.16',
  'Rocky Linux:8',
  'AlmaLinux:8',
  'Red Hat:enterprise_linux:8',
  'openSUSE:Leap 15.5',
  'openSUSE:Tumbleweed',
] as const;

export class DistroOptionError extends Error {
  readonly accepted: readonly string[] = ACCEPTED_DISTRO_FORMS;
  constructor(
    readonly value: string,
    readonly reason: string,
  ) {
    super(
      `--distro ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}: ${reason}; accepted forms: ${ACCEPTED_DISTRO_FORMS.join(', ')}`,
    );
    this.name = 'DistroOptionError';
  }
}

// The OSV spellings, matched case-insensitively, mapped to an os-release ID.
const OSV_PREFIXES: [string, string][] = [
  ['rocky linux:', 'rocky'],
  ['red hat:enterprise_linux:', 'rhel'],
  ['opensuse:leap ', 'opensuse-leap'],
];

/**
 * Reads a `--distro` value: `ID:VERSION` with an os-release ID (`ubuntu:18.04`, `alpine:3.16.2`,
 * `rocky:8.9`), or an OSV ecosystem name (`Ubuntu:18.04:LTS`, `Alpine:v3.16`). Case-insensitive.
 * Returns the OSV ecosystem with release; throws DistroOptionError listing the accepted forms.
 */
export function parseDistroOption(value: string): string {
  const v = value.trim();
  if (v.length > 100) throw new DistroOptionError(value, 'too long');
  const lower = v.toLowerCase();
  if (lower === 'opensuse:tumbleweed' || lower === 'opensuse-tumbleweed') return 'openSUSE:Tumbleweed';
  let id: string | undefined;
  let rest = '';
  for (const [prefix, osId] of OSV_PREFIXES) {
    if (lower.startsWith(prefix)) {
      id = osId;
      rest = lower.slice(prefix.length);
    }
  }
  if (lower.startsWith('suse:linux enterprise server ')) {
    const m = /^(\d+)(?: sp(\d+))?$/.exec(lower.slice('suse:linux enterprise server '.length));
    if (!m) throw new DistroOptionError(value, 'not a SLES release');
    id = 'sles';
    rest = m[2] ? `${m[1]}.${m[2]}` : (m[1] as string);
  }
  if (id === undefined) {
    const colon = lower.indexOf(':');
    if (colon <= 0) throw new DistroOptionError(value, 'expected ID:VERSION');
    id = lower.slice(0, colon);
    rest = lower.slice(colon + 1);
    if (id === 'ubuntu' && rest.endsWith(':lts')) {
      rest = rest.slice(0, -':lts'.length);
      const answer = describeDistroEcosystem({ id, versionId: rest, version: 'LTS' });
      if (answer.ecosystem === null) throw new DistroOptionError(value, answer.reason);
      return answer.ecosystem;
    }
    if (id === 'alpine' && rest.startsWith('v')) rest = rest.slice(1);
  }
  if (rest === '' || rest.includes(':')) throw new DistroOptionError(value, 'expected ID:VERSION');
  const answer = describeDistroEcosystem({ id, versionId: rest });
  if (answer.ecosystem === null) throw new DistroOptionError(value, answer.reason);
  return answer.ecosystem;
}

/**
 * The Alpine branch of an apk installed database, from the `alpine-release` package (its version is
 * the release: `3.16.2-r0` → `Alpine:v3.16`). `alpine-baselayout` is not used: its version is
 * its own (Alpine 3.16 ships alpine-baselayout 3.2.0-r22), so it does not name the release.
 * Returns null when there is no alpine-release package or its version is not x.y[.z]-rN.
 */
export function detectAlpineRelease(packages: readonly InstalledPackage[]): { ecosystem: string; evidence: string } | null {
  for (const p of packages) {
    if (p.name !== 'alpine-release' || (p.ecosystem !== 'Alpine' && !p.ecosystem.startsWith('Alpine:'))) continue;
    const m = /^(\d+)\.(\d+)(?:\.\d+)*(?:-r\d+)?$/.exec(p.version);
    if (!m) continue;
    return { ecosystem: `Alpine:v${m[1]}.${m[2]}`, evidence: `package alpine-release ${p.version}` };
  }
  return null;
}
