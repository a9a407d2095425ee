import { pep503 } from './lockfile-common.ts';
import type { InstalledPackage } from './model.ts';
import { parseSourceRpm } from './rpm-qa.ts';

/**
 * Package URLs (`pkg:type/namespace/name@version?qualifiers#subpath`), parsed as the package-url
 * specification's "How to parse a purl string" section describes: the subpath is split off at the
 * last `#`, the qualifiers at the last `?`, the version at the last `@`; every component is
 * percent-decoded; the type and the qualifier keys are lowercased; qualifiers with an empty value
 * are dropped; `.`/`..`/empty subpath segments are dropped. Type-specific normalisation applied:
 * pypi names lowercase with `_` → `-`; deb, apk, rpm namespaces lowercase, and deb/apk names too.
 *
 * Invalid input throws PurlError (with the reason) rather than returning null, so SBOM readers can
 * say why a component was skipped.
 */
export interface Purl {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  /** Null-prototype record: a `__proto__` qualifier is data, not a prototype. */
  qualifiers: Record<string, string>;
  subpath?: string;
}

export class PurlError extends Error {
  constructor(
    readonly purl: string,
    readonly reason: string,
  ) {
    super(`invalid package URL ${JSON.stringify(purl.length > 100 ? `${purl.slice(0, 100)}…` : purl)}: ${reason}`);
    this.name = 'PurlError';
  }
}

const TYPE = /^[a-z.+-][a-z0-9.+-]*$/;
const QUALIFIER_KEY = /^[a-z.\-_][a-z0-9.\-_]*$/;

function decode(part: string, purl: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new PurlError(purl, `bad percent-encoding in the ${what}`);
  }
}

export function parsePurl(purl: string): Purl {
  let rest = purl.trim();
  const hash = rest.lastIndexOf('#');
  let subpath: string | undefined;
  if (hash >= 0) {
    const segments = rest
      .slice(hash + 1)
      .split('/')
      .filter((s) => s !== '' && s !== '.' && s !== '..')
      .map((s) => decode(s, purl, 'subpath'));
    rest = rest.slice(0, hash);
    if (segments.length > 0) subpath = segments.join('/');
  }
  const qualifiers: Record<string, string> = Object.create(null) as Record<string, string>;
  const question = rest.lastIndexOf('?');
  if (question >= 0) {
    for (const pair of rest.slice(question + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new PurlError(purl, `qualifier ${JSON.stringify(pair.slice(0, 40))} is not key=value`);
      const key = pair.slice(0, eq).toLowerCase();
      if (!QUALIFIER_KEY.test(key)) throw new PurlError(purl, `bad qualifier key ${JSON.stringify(key.slice(0, 40))}`);
      if (Object.hasOwn(qualifiers, key)) throw new PurlError(purl, `qualifier ${key} given twice`);
      const value = decode(pair.slice(eq + 1), purl, `qualifier ${key}`);
      if (value !== '') qualifiers[key] = value;
    }
    rest = rest.slice(0, question);
  }
  const colon = rest.indexOf(':');
  if (colon < 0 || rest.slice(0, colon).toLowerCase() !== 'pkg') throw new PurlError(purl, 'does not start with pkg:');
  rest = rest.slice(colon + 1);
  // The spec tolerates `pkg://type/…` (and any slashes after the scheme).
  let from = 0;
  while (rest.charCodeAt(from) === 0x2f) from++;
  rest = rest.slice(from);
  const slash = rest.indexOf('/');
  if (slash <= 0) throw new PurlError(purl, 'no type/name');
  const type = rest.slice(0, slash).toLowerCase();
  if (!TYPE.test(type)) throw new PurlError(purl, `bad type ${JSON.stringify(type.slice(0, 40))}`);
  rest = rest.slice(slash + 1);
  let version: string | undefined;
  const at = rest.lastIndexOf('@');
  // An `@` before the last `/` belongs to the namespace (an npm scope written unencoded).
  if (at >= 0 && at > rest.lastIndexOf('/')) {
    version = decode(rest.slice(at + 1), purl, 'version');
    rest = rest.slice(0, at);
    if (version === '') version = undefined;
  }
  const segments = rest.split('/').filter((s) => s !== '');
  const rawName = segments.pop();
  if (rawName === undefined) throw new PurlError(purl, 'no name');
  let name = decode(rawName, purl, 'name');
  let namespace: string | undefined = segments.length > 0 ? segments.map((s) => decode(s, purl, 'namespace')).join('/') : undefined;
  if (name === '') throw new PurlError(purl, 'empty name');
  if (type === 'pypi') name = name.toLowerCase().replace(/_/g, '-');
  if (type === 'deb' || type === 'apk' || type === 'rpm') namespace = namespace?.toLowerCase();
  if (type === 'deb' || type === 'apk') name = name.toLowerCase();
  const out: Purl = { type, name, qualifiers };
  if (namespace !== undefined) out.namespace = namespace;
  if (version !== undefined) out.version = version;
  if (subpath !== undefined) out.subpath = subpath;
  return out;
}

/** What a purl says about an installed package; `distro` is the purl's `distro` qualifier. */
export type PurlPackage = Pick<InstalledPackage, 'ecosystem' | 'name' | 'version' | 'source' | 'arch'> & { distro?: string };

const SIMPLE: Record<string, string> = {
  cargo: 'crates.io',
  gem: 'RubyGems',
  nuget: 'NuGet',
  hex: 'Hex',
  pub: 'Pub',
};

const RPM_VENDORS: Record<string, string> = {
  redhat: 'Red Hat',
  rhel: 'Red Hat',
  rocky: 'Rocky Linux',
  'rocky-linux': 'Rocky Linux',
  rockylinux: 'Rocky Linux',
  almalinux: 'AlmaLinux',
  alma: 'AlmaLinux',
  opensuse: 'openSUSE',
  suse: 'SUSE',
  sles: 'SUSE',
};

/**
 * The OSV ecosystem (without release) and the name as OSV spells it, for a purl with a version:
 * npm `@scope/name`; pypi → PyPI (PEP 503 name); maven → Maven `group:artifact`; golang → Go
 * `namespace/name` (version kept as written, `v` included, like go.mod); cargo → crates.io;
 * gem → RubyGems; composer → Packagist `vendor/name`; nuget → NuGet; hex → Hex; pub → Pub;
 * deb → Debian/Ubuntu by namespace, apk (namespace alpine) → Alpine, rpm by vendor namespace
 * (redhat, rocky, almalinux, opensuse, suse). rpm's `epoch` qualifier is written into the version
 * (`epoch:version`), as advisories write it. `upstream` (syft's source package qualifier: `name`,
 * `name@version`, or for rpm the source RPM file name) becomes `source`; `arch` is kept.
 *
 * Null when the purl has no version, a type or vendor OSV does not cover (fedora, centos, wolfi…),
 * or lacks a part the ecosystem needs (maven without group, composer without vendor). A string that
 * is not a purl throws PurlError.
 */
export function purlToPackage(purl: string | Purl): PurlPackage | null {
  const p = typeof purl === 'string' ? parsePurl(purl) : purl;
  if (p.version === undefined) return null;
  const ns = p.namespace;
  const q = p.qualifiers;
  const simple = Object.hasOwn(SIMPLE, p.type) ? SIMPLE[p.type] : undefined;
  let out: PurlPackage;
  if (simple) {
    out = { ecosystem: simple, name: p.name, version: p.version };
  } else {
    switch (p.type) {
      case 'npm':
        out = { ecosystem: 'npm', name: ns ? `${ns}/${p.name}` : p.name, version: p.version };
        break;
      case 'pypi':
        out = { ecosystem: 'PyPI', name: pep503(p.name), version: p.version };
        break;
      case 'maven':
        if (!ns) return null;
        out = { ecosystem: 'Maven', name: `${ns}:${p.name}`, version: p.version };
        break;
      case 'golang':
        out = { ecosystem: 'Go', name: ns ? `${ns}/${p.name}` : p.name, version: p.version };
        break;
      case 'composer':
        if (!ns) return null;
        out = { ecosystem: 'Packagist', name: `${ns}/${p.name}`, version: p.version };
        break;
      case 'deb': {
        const ecosystem = ns === 'debian' ? 'Debian' : ns === 'ubuntu' ? 'Ubuntu' : undefined;
        if (!ecosystem) return null;
        out = { ecosystem, name: p.name, version: p.version };
        const source = upstream(q.upstream, p.version);
        if (source) out.source = source;
        break;
      }
      case 'apk': {
        if (ns !== 'alpine') return null;
        out = { ecosystem: 'Alpine', name: p.name, version: p.version };
        const source = upstream(q.upstream, p.version);
        if (source) out.source = source;
        break;
      }
      case 'rpm': {
        const ecosystem = ns !== undefined && Object.hasOwn(RPM_VENDORS, ns) ? RPM_VENDORS[ns] : undefined;
        if (!ecosystem) return null;
        const epoch = q.epoch;
        const version = epoch !== undefined && /^\d+$/.test(epoch) && !p.version.includes(':') ? `${epoch}:${p.version}` : p.version;
        out = { ecosystem, name: p.name, version };
        if (q.upstream !== undefined) {
          const srpm = parseSourceRpm(q.upstream);
          if (srpm) out.source = srpm;
        }
        break;
      }
      default:
        return null;
    }
  }
  if (q.arch !== undefined) out.arch = q.arch;
  if (q.distro !== undefined) out.distro = q.distro;
  return out;
}

/** syft's `upstream` qualifier: `name` (same version as the binary) or `name@version`. */
function upstream(value: string | undefined, version: string): { name: string; version: string } | undefined {
  if (value === undefined) return undefined;
  const at = value.indexOf('@');
  const name = at < 0 ? value : value.slice(0, at);
  const v = at < 0 ? version : value.slice(at + 1);
  if (!/^\S+$/.test(name) || !/^\S+$/.test(v)) return undefined;
  return { name, version: v };
}

/**
 * The distribution a purl's `distro` qualifier names, as os-release ID and VERSION_ID: syft writes
 * `ubuntu-18.04`, `debian-12`, `alpine-3.16.2`, `rhel-8.9`, `rocky-8.9`; Ubuntu's own OSV purls
 * write a codename (`bionic`), which is not a release number and gives undefined here.
 */
export function distroFromQualifier(distro: string): { id: string; versionId: string } | undefined {
  const m = /^([a-z][a-z0-9._]*(?:-[a-z][a-z0-9._]*)*)-(\d[0-9A-Za-z._]*)$/.exec(distro.trim().toLowerCase());
  if (!m) return undefined;
  return { id: m[1] as string, versionId: m[2] as string };
}
