import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';
import { excerpt, forEachLine, isBlank, rejectBinary, Warnings } from './text.ts';

/**
 * Parser for text listings of installed RPMs. Three line formats; the first non-blank line decides
 * which one the file is in, and lines in another format are skipped with a warning.
 *
 * 1. Plain `rpm -qa`: `NAME-VERSION-RELEASE.ARCH`, e.g. `openssl-libs-1.1.1k-5.el8_5.x86_64`.
 *    Split from the right: the architecture is what follows the last '.' when that is a known
 *    rpm architecture (otherwise there is none: `gpg-pubkey-8483c65d-5ccc5b19`); the release
 *    follows the last '-', the version the '-' before it, the rest is the name (names may hold
 *    '-' and '.'; version and release may not hold '-'). rpm does not print the epoch, so
 *    `epochKnown: false` and the version is `VERSION-RELEASE`; there is no source RPM either.
 *    type 'rpm-qa'.
 * 2. `rpm -qa --queryformat '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n'`:
 *    four TAB-separated fields. `epochKnown: true` (EPOCHNUM is 0 when the package has none;
 *    `(none):` from `%{EPOCH}` is read as no epoch too). type 'rpm-qa-queryformat'.
 * 3. The CBL-Mariner / Azure Linux distroless manifest `/var/lib/rpmmanifest/container-manifest-2`,
 *    ten TAB-separated fields: name, `version-release`, install time, build time, vendor, epoch
 *    (`(none)` or a number), size, arch, epoch number (0 when none), source RPM.
 *    `epochKnown: true`. type 'rpm-container-manifest'.
 *
 * In forms 2 and 3 the version is `EPOCH:VERSION-RELEASE` when the epoch is above 0 and
 * `VERSION-RELEASE` otherwise (the same thing to rpm's comparison), and the source is read from
 * the source RPM's file name (`openssl-1.1.1k-15.cm2.src.rpm` → openssl 1.1.1k-15.cm2), carrying
 * the binary's epoch: a spec file's Epoch applies to every package built from it, and the file
 * name of a source RPM never shows it.
 */

export interface RpmQaOptions {
  /** The OSV ecosystem (without release), e.g. 'Red Hat', 'AlmaLinux', 'Rocky Linux', 'Mariner'. */
  ecosystem: string;
}

/** Architectures rpm knows (rpmrc.in arch_compat / buildarchtranslate), plus src/nosrc. */
export const RPM_ARCHES: ReadonlySet<string> = new Set([
  'noarch',
  'x86_64',
  'amd64',
  'ia32e',
  'i386',
  'i486',
  'i586',
  'i686',
  'athlon',
  'geode',
  'pentium3',
  'pentium4',
  'x86_64_v2',
  'x86_64_v3',
  'x86_64_v4',
  'aarch64',
  'armv5tel',
  'armv5tejl',
  'armv6l',
  'armv6hl',
  'armv7l',
  'armv7hl',
  'armv7hnl',
  'armv8l',
  'armhfp',
  'ppc',
  'ppc64',
  'ppc64le',
  'ppc64p7',
  'ppc64iseries',
  'ppc64pseries',
  's390',
  's390x',
  'ia64',
  'alpha',
  'sparc',
  'sparcv9',
  'sparc64',
  'mips',
  'mipsel',
  'mips64',
  'mips64el',
  'riscv64',
  'loongarch64',
  'src',
  'nosrc',
]);

// What rpm allows in a NAME / VERSION / RELEASE: no whitespace, and not the characters rpmbuild
// rejects; kept simple (one character class, so no backtracking).
const TOKEN = /^[A-Za-z0-9._+~^%{}-]+$/;
const VR_PART = /^[A-Za-z0-9._+~^%{}]+$/;
const EPOCH = /^[0-9]{1,10}$/;

type Format = 'plain' | 'queryformat' | 'manifest';

const TYPES: Record<Format, string> = {
  plain: 'rpm-qa',
  queryformat: 'rpm-qa-queryformat',
  manifest: 'rpm-container-manifest',
};

/** `name-version-release` (no arch) split from the right; undefined when it has fewer than two '-'. */
export function splitNvr(nvr: string): { name: string; version: string; release: string } | undefined {
  const r = nvr.lastIndexOf('-');
  if (r <= 0) return undefined;
  const v = nvr.lastIndexOf('-', r - 1);
  if (v <= 0) return undefined;
  const name = nvr.slice(0, v);
  const version = nvr.slice(v + 1, r);
  const release = nvr.slice(r + 1);
  if (!VR_PART.test(version) || !VR_PART.test(release) || !TOKEN.test(name)) return undefined;
  return { name, version, release };
}

/** A source RPM file name (`openssl-1.1.1k-15.cm2.src.rpm`) → source name and `version-release`. */
export function parseSourceRpm(file: string): { name: string; version: string } | undefined {
  const m = /\.(?:no)?src\.rpm$/.exec(file);
  if (!m) return undefined;
  const nvr = splitNvr(file.slice(0, m.index));
  return nvr ? { name: nvr.name, version: `${nvr.version}-${nvr.release}` } : undefined;
}

function formatOf(line: string): Format | undefined {
  const tabs = line.split('\t').length - 1;
  if (tabs === 0) return 'plain';
  if (tabs === 3) return 'queryformat';
  if (tabs === 9) return 'manifest';
  return undefined;
}

const withEpoch = (epoch: number, vr: string): string => (epoch > 0 ? `${epoch}:${vr}` : vr);

/**
 * Reads installed RPMs from `rpm -qa` output (plain or the queryformat above) or a Mariner
 * container manifest. Throws InventoryParseError for binary data (e.g. an rpmdb.sqlite or
 * Berkeley DB `Packages` file) or text with no readable line; an unreadable line is skipped with a
 * warning.
 */
export function parseRpmQa(text: string, file: string, options: RpmQaOptions): ParsedInventory {
  const what = 'an rpm -qa listing';
  rejectBinary(text, file, what);
  const warnings = new Warnings();
  const packages: InstalledPackage[] = [];
  let format: Format | undefined;
  let bad = 0;

  forEachLine(text, (raw, lineNumber) => {
    if (isBlank(raw)) return;
    const where = `line ${lineNumber}`;
    const skip = (reason: string): void => {
      bad++;
      warnings.add(`${where}: ${reason}, skipped: ${excerpt(raw)}`);
    };
    const lineFormat = formatOf(raw);
    if (lineFormat === undefined) return skip('not a line of a known rpm listing format');
    format ??= lineFormat;
    if (lineFormat !== format) return skip(`a ${lineFormat} line in a ${format} listing`);

    if (format === 'plain') {
      const line = raw.trim();
      const dot = line.lastIndexOf('.');
      const arch = dot > 0 && RPM_ARCHES.has(line.slice(dot + 1)) ? line.slice(dot + 1) : undefined;
      const nvr = splitNvr(arch ? line.slice(0, dot) : line);
      if (!nvr) return skip('not NAME-VERSION-RELEASE[.ARCH]');
      const pkg: InstalledPackage = {
        ecosystem: options.ecosystem,
        name: nvr.name,
        version: `${nvr.version}-${nvr.release}`,
        epochKnown: false,
        location: where,
      };
      if (arch) pkg.arch = arch;
      packages.push(pkg);
      return;
    }

    const fields = raw.split('\t').map((f) => f.trim());
    let name: string;
    let epochText: string;
    let vr: string;
    let arch: string;
    let srpm: string;
    if (format === 'queryformat') {
      const [n = '', evr = '', a = '', s = ''] = fields;
      const colon = evr.indexOf(':');
      if (colon < 0) return skip('second field is not EPOCH:VERSION-RELEASE');
      [name, epochText, vr, arch, srpm] = [n, evr.slice(0, colon), evr.slice(colon + 1), a, s];
    } else {
      name = fields[0] ?? '';
      vr = fields[1] ?? '';
      const epochField = fields[5] ?? '';
      epochText = epochField === '(none)' ? (fields[8] ?? '') : epochField;
      arch = fields[7] ?? '';
      srpm = fields[9] ?? '';
    }
    if (!TOKEN.test(name)) return skip('bad package name');
    const epoch = epochText === '(none)' || epochText === '' ? 0 : EPOCH.test(epochText) ? Number(epochText) : Number.NaN;
    if (Number.isNaN(epoch)) return skip(`bad epoch ${excerpt(epochText)}`);
    const hyphen = vr.lastIndexOf('-');
    if (hyphen <= 0 || !VR_PART.test(vr.slice(0, hyphen)) || !VR_PART.test(vr.slice(hyphen + 1))) {
      return skip('bad VERSION-RELEASE');
    }
    const pkg: InstalledPackage = {
      ecosystem: options.ecosystem,
      name,
      version: withEpoch(epoch, vr),
      epochKnown: true,
      location: where,
    };
    const source = srpm === '' || srpm === '(none)' ? undefined : parseSourceRpm(srpm);
    if (source) pkg.source = { name: source.name, version: withEpoch(epoch, source.version) };
    else if (srpm !== '' && srpm !== '(none)') warnings.add(`${where}: unreadable source RPM ${excerpt(srpm)}; no source recorded`);
    if (arch !== '' && arch !== '(none)') pkg.arch = arch;
    packages.push(pkg);
  });

  if (format === undefined && bad === 0) {
    warnings.add('file is empty: no packages');
    return { type: TYPES.plain, packages, warnings: warnings.done() };
  }
  if (packages.length === 0) throw new InventoryParseError(file, `not ${what}: no line could be read as an installed package`);
  if (bad > packages.length) {
    throw new InventoryParseError(file, `not ${what}: ${bad} lines could not be read, only ${packages.length} could`);
  }
  return { type: TYPES[format ?? 'plain'], packages, warnings: warnings.done() };
}
