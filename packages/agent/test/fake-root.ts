import { chmod, copyFile, mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/**
 * A realistic Ubuntu 18.04 server root for agent tests, built from the shared real-world fixtures:
 * bionic's dpkg status (2237 packages), a risky sshd configuration with an Include, an old
 * WordPress site whose plugin and theme slugs exist in the WordPress advisory fixture, listening
 * sockets, a second UID-0 account, no firewall and a pending reboot. Pass the returned options to
 * collectInventory.
 */
/** `shared/` sits beside the repository (as in CI's clean clone). */
export const FIXTURES = resolve(import.meta.dirname, '../../../../shared/fixtures');
export const BIONIC_STATUS = join(FIXTURES, 'inventories/ubuntu-18.04-bionic.dpkg-status');
export const NODEGOAT_LOCK = join(FIXTURES, 'inventories/nodegoat.package-lock.json');

/** When the package database "last changed" in the fake root: late 2019, as the fixture is. */
export const FAKE_PACKAGES_MTIME = new Date('2019-11-15T10:00:00Z');

export interface FakeRootOptions {
  /** Write a WordPress site under /var/www/site (default true). */
  wordpress?: boolean;
  /** Copy a package-lock.json to /srv/app (default true). */
  lockfiles?: boolean;
}

export interface FakeRoot {
  root: string;
  lockfilePaths: string[];
  webRoots: string[];
}

const OS_RELEASE = `NAME="Ubuntu"
VERSION="18.04.3 LTS (Bionic Beaver)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 18.04.3 LTS"
VERSION_ID="18.04"
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
VERSION_CODENAME=bionic
UBUNTU_CODENAME=bionic
`;

const SSHD_CONFIG = `#\t$OpenBSD: sshd_config,v 1.101 2017/03/14 07:19:07 djm Exp $

# This is the sshd server system-wide configuration file.
Include /etc/ssh/sshd_config.d/*.conf

#Port 22
PermitRootLogin yes
#PubkeyAuthentication yes
ChallengeResponseAuthentication no
UsePAM yes
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem\tsftp\t/usr/lib/openssh/sftp-server

Match User backup
\tPasswordAuthentication no
\tPermitEmptyPasswords yes
`;

const PASSWD = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
sshd:x:110:65534::/run/sshd:/usr/sbin/nologin
ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash
toor:x:0:0:maintenance:/root:/bin/bash
`;

// Real /proc/net layout: sshd and redis on all interfaces, MySQL on loopback, an outgoing
// connection (not listening), nginx on :: and dhclient's UDP socket.
const PROC_NET_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 16245 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   111        0 18011 1 0000000000000000 100 0 0 10 0
   2: 00000000:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   112        0 18100 1 0000000000000000 100 0 0 10 0
   3: 0F02000A:0016 0202000A:D3C2 01 00000000:00000000 02:000A5D5B 00000000     0        0 20876 4 0000000000000000 20 4 29 10 -1
`;
const PROC_NET_TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19002 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19003 1 0000000000000000 100 0 0 10 0
`;
const PROC_NET_UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  810: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 15678 2 0000000000000000 0
`;

const VERSION_PHP = `<?php
/**
 * The WordPress version string
 *
 * @global string $wp_version
 */
$wp_version = '4.9.8';

/**
 * Holds the WordPress DB revision, increments when changes are made to the WordPress DB schema.
 */
$wp_db_version = 38590;
`;

const plugin = (name: string, version: string): string =>
  `<?php\n/*\nPlugin Name: ${name}\nDescription: fixture\nVersion: ${version}\n*/\n`;

async function write(root: string, rel: string, content: string, mode?: number): Promise<void> {
  const path = join(root, rel);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  if (mode !== undefined) await chmod(path, mode);
}

async function link(root: string, rel: string, target: string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await symlink(target, join(root, rel));
}

export async function buildFakeRoot(dir: string, options: FakeRootOptions = {}): Promise<FakeRoot> {
  await mkdir(join(dir, 'var/lib/dpkg'), { recursive: true });
  await copyFile(BIONIC_STATUS, join(dir, 'var/lib/dpkg/status'));
  await utimes(join(dir, 'var/lib/dpkg/status'), FAKE_PACKAGES_MTIME, FAKE_PACKAGES_MTIME);
  // As on Ubuntu: /etc/os-release is an absolute-looking relative link into /usr/lib.
  await write(dir, 'usr/lib/os-release', OS_RELEASE);
  await link(dir, 'etc/os-release', '../usr/lib/os-release');
  await write(dir, 'etc/hostname', 'web-01\n');
  await write(dir, 'etc/machine-id', '3f2a9c1d5e6b4a7c8d9e0f1a2b3c4d5e\n');
  await write(dir, 'proc/sys/kernel/osrelease', '4.15.0-66-generic\n');
  await write(dir, 'proc/sys/kernel/version', '#75-Ubuntu SMP Tue Oct 1 05:24:09 UTC 2019\n');
  await write(dir, 'etc/ssh/sshd_config', SSHD_CONFIG);
  await write(dir, 'etc/ssh/sshd_config.d/50-cloud-init.conf', 'PasswordAuthentication yes\n');
  await write(dir, 'etc/passwd', PASSWD);
  await write(dir, 'proc/net/tcp', PROC_NET_TCP);
  await write(dir, 'proc/net/tcp6', PROC_NET_TCP6);
  await write(dir, 'proc/net/udp', PROC_NET_UDP);
  await write(dir, 'etc/ufw/ufw.conf', '# /etc/ufw/ufw.conf\n\nENABLED=no\nLOGLEVEL=low\n');
  await write(
    dir,
    'etc/apt/apt.conf.d/20auto-upgrades',
    'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
  );
  await write(dir, 'run/reboot-required', '*** System restart required ***\n');
  await write(dir, 'run/reboot-required.pkgs', 'linux-image-4.15.0-70-generic\nlinux-base\n');
  await link(dir, 'var/run', '/run');
  // Merged /usr, and one world-writable script root may run.
  await write(dir, 'usr/bin/ls', '#!/bin/true\n', 0o755);
  await link(dir, 'bin', 'usr/bin');
  await write(dir, 'usr/local/bin/backup.sh', '#!/bin/sh\n', 0o777);

  const webRoots: string[] = [];
  if (options.wordpress !== false) {
    const site = 'var/www/site';
    await write(dir, `${site}/wp-includes/version.php`, VERSION_PHP);
    await write(dir, `${site}/wp-content/plugins/contact-form-7/wp-contact-form-7.php`, plugin('Contact Form 7', '5.0.3'));
    await write(dir, `${site}/wp-content/plugins/wp-file-manager/file_folder_manager.php`, plugin('WP File Manager', '6.0'));
    await write(dir, `${site}/wp-content/plugins/akismet.disabled/akismet.php`, plugin('Akismet Anti-Spam', '3.1.4'));
    await write(dir, `${site}/wp-content/mu-plugins/loader.php`, plugin('Site loader', '1.0'));
    await write(dir, `${site}/wp-content/themes/twentyfifteen/style.css`, '/*\nTheme Name: Twenty Fifteen\nVersion: 1.1\n*/\n');
    webRoots.push('/var/www');
  }
  const lockfilePaths: string[] = [];
  if (options.lockfiles !== false) {
    await mkdir(join(dir, 'srv/app'), { recursive: true });
    await copyFile(NODEGOAT_LOCK, join(dir, 'srv/app/package-lock.json'));
    lockfilePaths.push('/srv');
  }
  return { root: dir, lockfilePaths, webRoots };
}

/**
 * Upgrades an installed package in the fake root's dpkg database (the Version of its paragraph,
 * and the status file's mtime, as dpkg would), for "upgrade, collect again, finding fixed" tests.
 * Returns the version it replaced; throws when the package is not there.
 */
export async function upgradeDpkgPackage(root: string, name: string, newVersion: string): Promise<string> {
  const path = join(root, 'var/lib/dpkg/status');
  const paragraphs = (await readFile(path, 'utf8')).split('\n\n');
  let previous: string | undefined;
  const updated = paragraphs.map((p) => {
    if (!p.split('\n').includes(`Package: ${name}`)) return p;
    return p.replace(/^Version: (.*)$/m, (_, old: string) => {
      previous = old;
      return `Version: ${newVersion}`;
    });
  });
  if (previous === undefined) throw new Error(`package ${name} is not in ${path}`);
  await writeFile(path, updated.join('\n\n'));
  return previous;
}

/**
 * Writes a small root for one collector's tests: `files` maps a path inside the root to its
 * content, or to `{ link }` for a symlink, `{ mode, content }` for a file with a mode.
 */
export async function writeRoot(
  dir: string,
  files: Record<string, string | Buffer | { link: string } | { content: string; mode: number }>,
): Promise<string> {
  for (const [rel, spec] of Object.entries(files)) {
    if (typeof spec === 'object' && 'link' in spec) await link(dir, rel, spec.link);
    else if (typeof spec === 'object' && 'mode' in spec) await write(dir, rel, spec.content, spec.mode);
    else {
      await mkdir(dirname(join(dir, rel)), { recursive: true });
      await writeFile(join(dir, rel), spec);
    }
  }
  return dir;
}
