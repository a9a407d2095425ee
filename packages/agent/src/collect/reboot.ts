import type { Collector } from './context.ts';
import { readRootText } from './context.ts';

const SMALL = 1024 * 1024;
const FLAG_PATHS = ['run/reboot-required', 'var/run/reboot-required'];

/**
 * Debian and Ubuntu's update-notifier writes /run/reboot-required when an installed update (a
 * kernel, libc) only takes effect after a reboot, and lists the packages in reboot-required.pkgs.
 * Other distributions have no such file, so their answer is unknown (null) rather than "no".
 */
export const rebootCollector: Collector = {
  name: 'reboot',
  async run(ctx) {
    for (const path of FLAG_PATHS) {
      if ((await readRootText(ctx, path, SMALL)) === null) continue;
      const pkgs = ((await readRootText(ctx, `${path}.pkgs`, SMALL)) ?? '')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^[a-z0-9][a-z0-9+.-]{0,100}$/.test(l));
      const unique = [...new Set(pkgs)].sort();
      ctx.host.rebootRequired = true;
      const list = unique.length
        ? ` for ${unique.slice(0, 10).join(', ')}${unique.length > 10 ? ` and ${unique.length - 10} more` : ''}`
        : '';
      return { facts: [{ id: 'system.reboot_required', severity: 'MEDIUM', observed: `reboot required${list}`, evidence: [`/${path}`] }] };
    }
    const debianLike = ctx.osPackageNames.has('dpkg') || ['debian', 'ubuntu'].includes(ctx.host.os?.id ?? '');
    if (!debianLike) return { status: 'skipped', message: 'no reboot-required flag file on this distribution' };
    ctx.host.rebootRequired = false;
    return { facts: [{ id: 'system.reboot_required', severity: 'NONE', observed: 'no reboot required', evidence: [] }] };
  },
};
