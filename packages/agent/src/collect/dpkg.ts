import { describeDistroEcosystem, detectDpkgDistro, parseDpkgStatus } from '@vigil/vulndb';
import { type Collector, readRootText, shown } from './context.ts';
import { noteOsPackages, toInventoryPackage } from './os-packages.ts';

const STATUS = 'var/lib/dpkg/status';
/** A large desktop's status file is ~5 MB; anything beyond this is not a real one. */
export const MAX_DPKG_STATUS_BYTES = 128 * 1024 * 1024;

/**
 * Debian and Ubuntu packages from dpkg's database, with source package, source version and
 * architecture (vulndb's parser). Which of the two distributions: os-release's ID, else the
 * database's own content (detectDpkgDistro), which also supplies the release when os-release
 * could not.
 */
export const dpkgCollector: Collector = {
  name: 'dpkg',
  async run(ctx) {
    const text = await readRootText(ctx, STATUS, MAX_DPKG_STATUS_BYTES);
    if (text === null) return { status: 'skipped', message: `no ${shown(STATUS)}` };
    const notes: string[] = [];
    const id = ctx.host.os?.id;
    let distro: 'Debian' | 'Ubuntu' | null = id === 'ubuntu' ? 'Ubuntu' : id === 'debian' ? 'Debian' : null;
    let ecosystem: string | null = null;
    if (distro === null || ctx.host.os?.ecosystem == null) {
      const detected = detectDpkgDistro(text);
      if (detected) {
        distro ??= detected.distro;
        const answer = detected.release
          ? describeDistroEcosystem({ id: detected.distro.toLowerCase(), versionId: detected.release })
          : null;
        if (answer?.ecosystem) {
          ecosystem = answer.ecosystem;
          notes.push(`release detected from the package database: ${detected.evidence.join('; ')}`);
        }
      }
    }
    if (distro === null) {
      distro = 'Debian';
      notes.push('distribution not recognised from os-release or packages; packages reported as Debian');
    }
    const parsed = parseDpkgStatus(text, shown(STATUS), { ecosystem: distro });
    noteOsPackages(ctx, parsed.packages, 'dpkg', ecosystem);
    if (parsed.warnings.length) notes.push(`${parsed.warnings.length} entries skipped, e.g. ${parsed.warnings[0]}`);
    return { packages: parsed.packages.map(toInventoryPackage), ...(notes.length ? { message: notes.join('; ') } : {}) };
  },
};
