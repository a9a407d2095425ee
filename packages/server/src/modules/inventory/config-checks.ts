/**
 * What the server says about each configuration check the agent reports: the finding's title,
 * what to do, and where to read more. Kept here (not in the agent) so advice can be improved
 * without updating every agent. A check id the catalog does not know gets a generic entry.
 */
export interface ConfigCheck {
  title: string;
  remediation: string;
  references: string[];
}

const CIS_UBUNTU = 'https://www.cisecurity.org/benchmark/ubuntu_linux';

export const CONFIG_CHECKS: Readonly<Record<string, ConfigCheck>> = {
  'ssh.permit_root_login': {
    title: 'SSH allows root to log in',
    remediation:
      'Set `PermitRootLogin no` (or `prohibit-password` if root must log in with a key) in /etc/ssh/sshd_config or a file under sshd_config.d, check with `sshd -t`, then reload sshd. Log in as a named user and use sudo.',
    references: ['https://man.openbsd.org/sshd_config#PermitRootLogin', CIS_UBUNTU],
  },
  'ssh.password_authentication': {
    title: 'SSH accepts passwords',
    remediation:
      'Install SSH keys for every user who logs in, then set `PasswordAuthentication no` (and `KbdInteractiveAuthentication no`) and reload sshd. Password logins invite brute force.',
    references: ['https://man.openbsd.org/sshd_config#PasswordAuthentication', CIS_UBUNTU],
  },
  'ssh.permit_empty_passwords': {
    title: 'SSH accepts empty passwords',
    remediation:
      'Set `PermitEmptyPasswords no` in the sshd configuration and reload sshd; lock any account without a password (`passwd -l`).',
    references: ['https://man.openbsd.org/sshd_config#PermitEmptyPasswords', CIS_UBUNTU],
  },
  'firewall.active': {
    title: 'No host firewall is active',
    remediation:
      'Enable a host firewall that denies incoming traffic by default and allows only the services this server offers: `ufw default deny incoming`, `ufw allow <port>`, `ufw enable` (or firewalld / nftables rules).',
    references: ['https://help.ubuntu.com/community/UFW', CIS_UBUNTU],
  },
  'system.reboot_required': {
    title: 'A reboot is pending',
    remediation:
      'Updated packages (often the kernel or libc) take effect only after a reboot. Schedule one; until then the running system still has the old, vulnerable code.',
    references: ['https://ubuntu.com/server/docs/package-management'],
  },
  'packages.last_update': {
    title: 'Packages have not been updated for a long time',
    remediation:
      'Apply pending updates (`apt-get update && apt-get upgrade`, `dnf upgrade`, `apk upgrade`) and turn on automatic security updates (unattended-upgrades, dnf-automatic).',
    references: ['https://ubuntu.com/server/docs/package-management'],
  },
  'accounts.uid0': {
    title: 'An account other than root has UID 0',
    remediation:
      'Every UID 0 account is root. Unless you made this one on purpose, treat it as a sign of compromise: investigate, then remove it or give it its own UID.',
    references: [CIS_UBUNTU],
  },
  'files.world_writable_path': {
    title: 'A directory on PATH is world-writable',
    remediation:
      'Anyone on the machine can plant a program there that root may run. Remove write permission for others (`chmod o-w <dir>`) and check what was put there.',
    references: [CIS_UBUNTU],
  },
  'network.listening_public': {
    title: 'A service listens on every network interface',
    remediation: 'Bind services that only local programs use to 127.0.0.1, and let the firewall admit only what must be reachable.',
    references: [CIS_UBUNTU],
  },
  'network.risky_service_public': {
    title: 'A sensitive service is reachable from the network',
    remediation:
      'Databases, caches and admin interfaces should listen on 127.0.0.1 or a private network only; bind them there or firewall the port, and require authentication.',
    references: ['https://www.cisa.gov/news-events/news/securing-network-infrastructure-devices'],
  },
};

export function configCheck(id: string): ConfigCheck {
  return (
    CONFIG_CHECKS[id] ?? {
      title: `Configuration check ${id} failed`,
      remediation: 'Review what the agent observed (see the evidence) and bring the setting in line with your hardening baseline.',
      references: [],
    }
  );
}
