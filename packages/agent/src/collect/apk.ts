import { detectAlpineRelease, parseApkInstalled } from '@vigil/vulndb';
import { type Collector, readRootText, shown } from './context.ts';
import { noteOsPackages, toInventoryPackage } from './os-packages.ts';

const INSTALLED = 'lib/apk/db/installed';
export const MAX_APK_INSTALLED_BYTES = 128 * 1024 * 1024;

/** Alpine packages from apk's database; the origin is the source package advisories name. */
export const apkCollector: Collector = {
  name: 'apk',
  async run(ctx) {
    const text = await readRootText(ctx, INSTALLED, MAX_APK_INSTALLED_BYTES);
    if (text === null) return { status: 'skipped', message: `no ${shown(INSTALLED)}` };
    const parsed = parseApkInstalled(text, shown(INSTALLED));
    noteOsPackages(ctx, parsed.packages, 'apk-tools', detectAlpineRelease(parsed.packages)?.ecosystem ?? null);
    const notes = parsed.warnings.length ? { message: `${parsed.warnings.length} entries skipped, e.g. ${parsed.warnings[0]}` } : {};
    return { packages: parsed.packages.map(toInventoryPackage), ...notes };
  },
};
