import { hostname as liveHostname } from 'node:os';
import { describeDistroEcosystem, parseOsRelease } from '@vigil/vulndb';
import { type CollectContext, type Collector, oneLine, readRootText } from './context.ts';

const SMALL_FILE = 64 * 1024;

/** Node's architecture names → the kernel's (`uname -m`), used only when no package database says. */
const NODE_ARCH: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ia32: 'i686',
  arm: 'armv7l',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loongarch64',
};

export function nodeArch(): string {
  return NODE_ARCH[process.arch] ?? process.arch;
}

/** First line, trimmed; null when empty. */
function firstLine(text: string | null): string | null {
  if (text === null) return null;
  const line = text.split('\n')[0]?.trim() ?? '';
  return line === '' ? null : line;
}

// RFC 1123 host names (labels of letters, digits, hyphens): anything else in /etc/hostname is not reported.
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * The operating system: os-release (`/etc/os-release`, else `/usr/lib/os-release`, as systemd
 * reads them), the kernel from `/proc/sys/kernel` (absent when the root is not a live system),
 * the host name and machine id. The OSV ecosystem with release comes from vulndb's mapping; the
 * package collectors fill it in from package data when os-release does not tell.
 */
export const osCollector: Collector = {
  name: 'os',
  async run(ctx: CollectContext) {
    const notes: string[] = [];
    const osRelease =
      (await readRootText(ctx, 'etc/os-release', SMALL_FILE)) ?? (await readRootText(ctx, 'usr/lib/os-release', SMALL_FILE));
    if (osRelease === null) {
      notes.push('no /etc/os-release or /usr/lib/os-release');
    } else {
      const fields = parseOsRelease(osRelease);
      const id = fields.ID?.trim().toLowerCase();
      if (!id) {
        notes.push('os-release has no ID');
      } else {
        const answer = describeDistroEcosystem({ id, versionId: fields.VERSION_ID, version: fields.VERSION, idLike: fields.ID_LIKE });
        if (answer.ecosystem === null) notes.push(answer.reason);
        ctx.host.os = {
          id: oneLine(id, 64),
          versionId: fields.VERSION_ID?.trim() ? oneLine(fields.VERSION_ID.trim(), 64) : null,
          prettyName: fields.PRETTY_NAME?.trim() ? oneLine(fields.PRETTY_NAME.trim(), 256) : null,
          ecosystem: answer.ecosystem,
        };
      }
    }

    const release = firstLine(await readRootText(ctx, 'proc/sys/kernel/osrelease', SMALL_FILE));
    const version = firstLine(await readRootText(ctx, 'proc/sys/kernel/version', SMALL_FILE));
    ctx.host.kernel = release ? { release: oneLine(release, 128), version: oneLine(version ?? '', 256) } : null;

    const name = firstLine(await readRootText(ctx, 'etc/hostname', SMALL_FILE));
    if (name && HOSTNAME.test(name)) ctx.host.hostname = name;
    else if (ctx.live) ctx.host.hostname = liveHostname();
    else notes.push(name ? 'unreadable /etc/hostname' : 'no /etc/hostname');

    const machineId = firstLine(await readRootText(ctx, 'etc/machine-id', SMALL_FILE));
    if (machineId && /^[0-9a-f]{32}$/.test(machineId)) ctx.host.machineId = machineId;

    const items = [ctx.host.os, ctx.host.kernel, ctx.host.hostname, ctx.host.machineId].filter((x) => x != null).length;
    return { items, ...(notes.length ? { message: notes.join('; ') } : {}) };
  },
};
