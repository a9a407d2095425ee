import { lstat } from 'node:fs/promises';
import { posix } from 'node:path';
import { resolveInRoot } from '@vigil/vulndb';
import { type CollectContext, type Collector, numberedLines, readRootText } from './context.ts';

const RULES_BYTES = 4 * 1024 * 1024;
const WANTS = ['multi-user.target.wants', 'sysinit.target.wants', 'network-pre.target.wants', 'basic.target.wants'];

/** Whether systemd starts `unit` at boot: an enablement link in /etc/systemd/system/*.wants/. */
export async function unitEnabled(ctx: CollectContext, unit: string, wants: readonly string[] = WANTS): Promise<string | null> {
  for (const target of wants) {
    const rel = `etc/systemd/system/${target}/${unit}`;
    // The link itself is what `systemctl enable` creates; its target may live in /lib (lstat, no following).
    const dir = await resolveInRoot(ctx.root, posix.dirname(rel));
    if (dir === null) continue;
    if (
      await lstat(posix.join(dir, unit)).then(
        () => true,
        () => false,
      )
    )
      return `/${rel}`;
  }
  return null;
}

/** nftables rules beyond Debian's stock /etc/nftables.conf (empty chains with policy accept). */
export function hasNftRules(text: string): boolean {
  return numberedLines(text).some(({ line }) => {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) return false;
    if (/\bpolicy\s+(drop|reject)\b/.test(l)) return true;
    if (/^(flush|table|chain|type|policy|include|define|set|map|elements|}|#!)/.test(l)) return false;
    return /\b(accept|drop|reject|jump|goto|masquerade|dnat|snat)\b/.test(l);
  });
}

/** iptables-save rules: at least one `-A` rule, or a built-in chain whose policy drops. */
export function hasIptablesRules(text: string): boolean {
  return numberedLines(text).some(({ line }) => /^-A\s/.test(line) || /^:(INPUT|FORWARD)\s+DROP\b/.test(line));
}

/**
 * Whether a host firewall is switched on at boot, from configuration files (the agent does not run
 * nft/iptables: reading the live ruleset needs privileges and tools the root may not have):
 * ufw's ENABLED=yes; firewalld enabled in systemd; or an nftables/iptables rules file with real
 * rules AND the unit that loads it enabled (a rules file nobody loads protects nothing).
 */
export const firewallCollector: Collector = {
  name: 'firewall',
  async run(ctx) {
    const active: { what: string; evidence: string }[] = [];
    const seen: string[] = [];
    const ufw = await readRootText(ctx, 'etc/ufw/ufw.conf', RULES_BYTES);
    if (ufw !== null) {
      const line = numberedLines(ufw).find(({ line }) => /^\s*ENABLED\s*=\s*"?yes"?\s*$/i.test(line));
      if (line) active.push({ what: 'ufw enabled', evidence: `/etc/ufw/ufw.conf:${line.number}` });
      else seen.push('ufw installed but not enabled');
    }
    const firewalld = await unitEnabled(ctx, 'firewalld.service', ['multi-user.target.wants']);
    if (firewalld) active.push({ what: 'firewalld enabled', evidence: firewalld });
    const files = [
      { file: 'etc/nftables.conf', units: ['nftables.service'], rules: hasNftRules },
      { file: 'etc/iptables/rules.v4', units: ['netfilter-persistent.service', 'iptables-persistent.service'], rules: hasIptablesRules },
      { file: 'etc/sysconfig/iptables', units: ['iptables.service'], rules: hasIptablesRules },
    ];
    for (const { file, units, rules } of files) {
      const text = await readRootText(ctx, file, RULES_BYTES);
      if (text === null || !rules(text)) continue;
      let unit: string | null = null;
      for (const u of units) unit ??= await unitEnabled(ctx, u);
      if (unit) active.push({ what: `rules in /${file} loaded by ${posix.basename(unit)}`, evidence: `/${file}` });
      else seen.push(`rules in /${file} but no enabled unit loads them`);
    }
    const fact =
      active.length > 0
        ? {
            id: 'firewall.active',
            severity: 'NONE' as const,
            observed: active.map((a) => a.what).join(', '),
            evidence: active.map((a) => a.evidence),
          }
        : {
            id: 'firewall.active',
            severity: 'MEDIUM' as const,
            observed: `no active host firewall (ufw, firewalld, nftables, iptables)${seen.length ? `: ${seen.join('; ')}` : ''}`,
            evidence: [],
          };
    return { facts: [fact] };
  },
};
