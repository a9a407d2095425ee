import type { ConfigFactInput, FactSeverity } from '@vigil/protocol';
import type { Collector } from './context.ts';
import { readSshdConfig, type SshdConfig } from './sshd-config.ts';

interface Check {
  id: string;
  keyword: string;
  /** How the keyword is spelled in sshd_config, for the observed text. */
  spelled: string;
  /** OpenSSH's default when the keyword is not set. */
  fallback: string;
  severity(value: string): FactSeverity;
}

const CHECKS: Check[] = [
  {
    id: 'ssh.permit_root_login',
    keyword: 'permitrootlogin',
    spelled: 'PermitRootLogin',
    // The default has been prohibit-password since OpenSSH 7.0 (2015); older sshd defaulted to yes.
    fallback: 'prohibit-password',
    severity: (v) => (v === 'yes' ? 'HIGH' : 'NONE'),
  },
  {
    id: 'ssh.password_authentication',
    keyword: 'passwordauthentication',
    spelled: 'PasswordAuthentication',
    fallback: 'yes',
    severity: (v) => (v === 'yes' ? 'MEDIUM' : 'NONE'),
  },
  {
    id: 'ssh.permit_empty_passwords',
    keyword: 'permitemptypasswords',
    spelled: 'PermitEmptyPasswords',
    fallback: 'no',
    severity: (v) => (v === 'yes' ? 'CRITICAL' : 'NONE'),
  },
];

/**
 * The effective value for every connection: a `Match all` block overrides the global value (sshd
 * copies Match settings over the global ones); other Match blocks apply to some connections only
 * and are named in the observed text, not counted.
 */
export function sshFacts(config: SshdConfig): ConfigFactInput[] {
  return CHECKS.map((check) => {
    const matched = config.matched.get(check.keyword) ?? [];
    const forAll = matched.find((m) => m.match === 'all');
    const set = forAll ?? config.global.get(check.keyword);
    const value = (set?.value ?? check.fallback).toLowerCase();
    const evidence = set ? [set.evidence] : [`${config.files[0] ?? '/etc/ssh/sshd_config'} (not set: OpenSSH default)`];
    let observed = `${check.spelled} ${value}${set ? '' : ' (default)'}`;
    const partial = matched.filter((m) => m.match !== 'all' && m.value.toLowerCase() !== value);
    if (partial.length > 0) {
      observed += `; Match blocks set other values for some connections: ${partial
        .slice(0, 3)
        .map((m) => `${m.value} (Match ${m.match})`)
        .join(', ')}`;
      evidence.push(...partial.slice(0, 10).map((m) => m.evidence));
    }
    return { id: check.id, severity: check.severity(value), observed: observed.slice(0, 500), evidence };
  });
}

/** sshd's authentication settings; no sshd_config means no sshd to judge (skipped). */
export const sshdCollector: Collector = {
  name: 'sshd',
  async run(ctx) {
    const config = await readSshdConfig(ctx);
    if (config === null) return { status: 'skipped', message: 'no /etc/ssh/sshd_config' };
    const notes = [`read ${config.files.length} file(s)`, ...config.notes];
    return { facts: sshFacts(config), message: notes.slice(0, 10).join('; ') };
  },
};
