import type { ConfigFactInput } from '@vigil/protocol';
import { dirInRoot } from '@vigil/vulndb';
import { type CollectContext, type Collector, listDir, numberedLines, readRootText, rootFileExists } from './context.ts';
import { unitEnabled } from './firewall.ts';

const CONFIG_BYTES = 1024 * 1024;
const MAX_APT_FILES = 200;
const SETTING = /APT::Periodic::Unattended-Upgrade\s+"([^"]*)"\s*;/i;
const APT_PART = /^[A-Za-z0-9_.-]+$/;
const APT_IGNORED = /(\.disabled|\.bak|\.dpkg-[a-z]+|\.ucf-[a-z]+|~)$/;

/**
 * Debian/Ubuntu: unattended-upgrades installed and `APT::Periodic::Unattended-Upgrade` set to a
 * number of days above 0. apt reads /etc/apt/apt.conf.d/* in name order and a later assignment
 * overrides an earlier one, so the last one wins. (The nested `APT { Periodic { … } }` form is
 * not read; Debian and Ubuntu write the flat form.)
 */
async function aptAutomatic(ctx: CollectContext): Promise<ConfigFactInput> {
  const installed = ctx.osPackageNames.has('unattended-upgrades') || (await rootFileExists(ctx, 'usr/bin/unattended-upgrade'));
  let last: { value: string; evidence: string } | null = null;
  const dir = await dirInRoot(ctx.root, 'etc/apt/apt.conf.d');
  // apt's own rule for parts: names of letters, digits, '_', '-', '.'; backups and package leftovers ignored.
  const names = dir
    ? (await listDir(dir, MAX_APT_FILES)).entries.map((e) => e.name).filter((n) => APT_PART.test(n) && !APT_IGNORED.test(n))
    : [];
  // The parts first, then the main file, as apt reads them.
  for (const file of [...names.map((n) => `etc/apt/apt.conf.d/${n}`), 'etc/apt/apt.conf']) {
    const text = await readRootText(ctx, file, CONFIG_BYTES);
    if (text === null) continue;
    for (const { line, number } of numberedLines(text)) {
      const m = SETTING.exec(line.replace(/\/\/.*$/, ''));
      if (m && !line.trim().startsWith('#')) last = { value: m[1] ?? '', evidence: `/${file}:${number}` };
    }
  }
  const enabled = last !== null && /^\d+$/.test(last.value) && Number(last.value) > 0;
  if (installed && enabled) {
    return {
      id: 'updates.automatic_security',
      severity: 'NONE',
      observed: `unattended-upgrades every ${last?.value} day(s)`,
      evidence: [last?.evidence ?? ''],
    };
  }
  const why = !installed
    ? 'unattended-upgrades is not installed'
    : `APT::Periodic::Unattended-Upgrade is ${last ? `"${last.value}"` : 'not set'}`;
  return {
    id: 'updates.automatic_security',
    severity: 'LOW',
    observed: `automatic security updates off: ${why}`,
    evidence: last ? [last.evidence] : [],
  };
}

/** RHEL family: dnf-automatic's installing timer, or its generic timer with apply_updates = yes. */
async function dnfAutomatic(ctx: CollectContext): Promise<ConfigFactInput> {
  const wants = ['timers.target.wants'];
  const install = await unitEnabled(ctx, 'dnf-automatic-install.timer', wants);
  if (install)
    return { id: 'updates.automatic_security', severity: 'NONE', observed: 'dnf-automatic-install.timer enabled', evidence: [install] };
  const timer = await unitEnabled(ctx, 'dnf-automatic.timer', wants);
  const conf = await readRootText(ctx, 'etc/dnf/automatic.conf', CONFIG_BYTES);
  const apply = conf ? numberedLines(conf).find(({ line }) => /^\s*apply_updates\s*=\s*(yes|true|1)\s*$/i.test(line)) : undefined;
  if (timer && apply) {
    return {
      id: 'updates.automatic_security',
      severity: 'NONE',
      observed: 'dnf-automatic.timer enabled with apply_updates',
      evidence: [timer, `/etc/dnf/automatic.conf:${apply.number}`],
    };
  }
  const why = timer ? 'dnf-automatic.timer only downloads or notifies (apply_updates is not yes)' : 'no dnf-automatic timer enabled';
  return { id: 'updates.automatic_security', severity: 'LOW', observed: `automatic security updates off: ${why}`, evidence: [] };
}

const RHEL_LIKE = /\b(rhel|centos|fedora|rocky|almalinux)\b/;

export const updatesCollector: Collector = {
  name: 'updates',
  async run(ctx) {
    const id = ctx.host.os?.id ?? '';
    if (ctx.osPackageNames.has('dpkg') || id === 'debian' || id === 'ubuntu') return { facts: [await aptAutomatic(ctx)] };
    if (RHEL_LIKE.test(id) || ctx.osPackageNames.has('dnf')) return { facts: [await dnfAutomatic(ctx)] };
    if (id === 'alpine') return { status: 'skipped', message: 'Alpine has no standard automatic-update service: unknown' };
    return { status: 'skipped', message: `automatic updates not checked on ${id || 'an unknown distribution'}` };
  },
};
