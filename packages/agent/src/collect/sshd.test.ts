import { mkdtemp, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRoot } from '../../test/fake-root.ts';
import { createCollectContext } from './index.ts';
import { sshdCollector } from './sshd.ts';
import { readSshdConfig, tokenize } from './sshd-config.ts';

const temp = () => mkdtemp(join(tmpdir(), 'vigil-sshd-'));

async function facts(files: Parameters<typeof writeRoot>[1]) {
  const root = await writeRoot(await temp(), files);
  const output = await sshdCollector.run(createCollectContext({ root }));
  return { output, byId: Object.fromEntries((output.facts ?? []).map((f) => [f.id, f])) };
}

describe('sshd_config tokenizer', () => {
  it('splits keyword and arguments as sshd does', () => {
    expect(tokenize('PermitRootLogin yes')).toEqual(['PermitRootLogin', 'yes']);
    expect(tokenize('PermitRootLogin=yes')).toEqual(['PermitRootLogin', 'yes']);
    expect(tokenize('PermitRootLogin = no')).toEqual(['PermitRootLogin', 'no']);
    expect(tokenize('Include "/etc/ssh/my dir/*.conf" other.conf')).toEqual(['Include', '/etc/ssh/my dir/*.conf', 'other.conf']);
    expect(tokenize('PasswordAuthentication no # yes')).toEqual(['PasswordAuthentication', 'no']);
  });
});

describe('sshd collector', () => {
  it('reports the risky settings with file:line evidence, the first value winning and keywords in any case', async () => {
    const { byId } = await facts({
      'etc/ssh/sshd_config': '# comment\n\npermitrootlogin Yes\nPermitRootLogin no\nPASSWORDAUTHENTICATION yes\nPermitEmptyPasswords=yes\n',
    });
    expect(byId['ssh.permit_root_login']).toMatchObject({
      severity: 'HIGH',
      observed: 'PermitRootLogin yes',
      evidence: ['/etc/ssh/sshd_config:3'],
    });
    expect(byId['ssh.password_authentication']).toMatchObject({ severity: 'MEDIUM', evidence: ['/etc/ssh/sshd_config:5'] });
    expect(byId['ssh.permit_empty_passwords']).toMatchObject({ severity: 'CRITICAL', evidence: ['/etc/ssh/sshd_config:6'] });
  });

  it('uses OpenSSH defaults when unset: prohibit-password, password authentication on, empty passwords off', async () => {
    const { byId } = await facts({ 'etc/ssh/sshd_config': 'Port 22\n' });
    expect(byId['ssh.permit_root_login']).toMatchObject({ severity: 'NONE', observed: 'PermitRootLogin prohibit-password (default)' });
    expect(byId['ssh.password_authentication']).toMatchObject({ severity: 'MEDIUM', observed: 'PasswordAuthentication yes (default)' });
    expect(byId['ssh.permit_empty_passwords']).toMatchObject({
      severity: 'NONE',
      evidence: ['/etc/ssh/sshd_config (not set: OpenSSH default)'],
    });
  });

  it('reads Includes in place: globs sorted, relative paths from /etc/ssh, before later lines', async () => {
    const { byId, output } = await facts({
      'etc/ssh/sshd_config': 'Include sshd_config.d/*.conf\nPasswordAuthentication no\nPermitRootLogin yes\n',
      'etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication yes\n',
      'etc/ssh/sshd_config.d/10-hardening.conf': 'PermitRootLogin no\n',
      'etc/ssh/sshd_config.d/99-ignored.conf.bak': 'PermitEmptyPasswords yes\n',
    });
    expect(byId['ssh.password_authentication']).toMatchObject({
      severity: 'MEDIUM',
      evidence: ['/etc/ssh/sshd_config.d/50-cloud-init.conf:1'],
    });
    expect(byId['ssh.permit_root_login']).toMatchObject({ severity: 'NONE', evidence: ['/etc/ssh/sshd_config.d/10-hardening.conf:1'] });
    expect(byId['ssh.permit_empty_passwords']?.severity).toBe('NONE');
    expect(output.message).toContain('read 3 file(s)');
  });

  it('keeps Match blocks out of the global value, names them, and lets Match all override', async () => {
    const { byId } = await facts({
      'etc/ssh/sshd_config': [
        'PasswordAuthentication no',
        'Match Address 10.0.0.0/8',
        '  PasswordAuthentication yes',
        '  PermitRootLogin yes',
        'Match all',
        '  PermitEmptyPasswords yes',
      ].join('\n'),
    });
    expect(byId['ssh.password_authentication']).toMatchObject({
      severity: 'NONE',
      observed: 'PasswordAuthentication no; Match blocks set other values for some connections: yes (Match Address 10.0.0.0/8)',
      evidence: ['/etc/ssh/sshd_config:1', '/etc/ssh/sshd_config:3'],
    });
    expect(byId['ssh.permit_root_login']?.severity).toBe('NONE');
    expect(byId['ssh.permit_empty_passwords']).toMatchObject({ severity: 'CRITICAL', evidence: ['/etc/ssh/sshd_config:6'] });
  });

  it('ends a Match opened in an included file with that file, as sshd does', async () => {
    const { byId } = await facts({
      'etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n',
      'etc/ssh/sshd_config.d/sftp.conf': 'Match Group sftp\n  ChrootDirectory %h\n',
    });
    expect(byId['ssh.permit_root_login']).toMatchObject({ severity: 'HIGH', evidence: ['/etc/ssh/sshd_config:2'] });
  });

  it('bounds Include recursion (a file including itself) and ignores Includes that match nothing', async () => {
    const root = await writeRoot(await temp(), {
      'etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config\nInclude /nowhere/*.conf\nPermitRootLogin yes\n',
    });
    const config = await readSshdConfig(createCollectContext({ root }));
    expect(config?.notes.some((n) => n.includes('Include nested deeper than 16'))).toBe(true);
    expect(config?.global.get('permitrootlogin')).toMatchObject({ value: 'yes', evidence: '/etc/ssh/sshd_config:3' });
  });

  it('resolves Include paths inside the root only', async () => {
    const outside = await writeRoot(await temp(), { 'evil.conf': 'PermitRootLogin yes\n' });
    const { byId } = await facts({
      'etc/ssh/sshd_config': `Include ${join(outside, 'evil.conf')}\nInclude ../../../../../../../..${join(outside, '*.conf')}\n`,
      'etc/ssh/link.conf': { link: join(outside, 'evil.conf') },
    });
    expect(byId['ssh.permit_root_login']?.severity).toBe('NONE');
  });

  it('is skipped without sshd_config and fails on an oversized one', async () => {
    const { output } = await facts({});
    expect(output).toMatchObject({ status: 'skipped', message: 'no /etc/ssh/sshd_config' });
    const root = await writeRoot(await temp(), { 'etc/ssh/sshd_config': '' });
    await truncate(join(root, 'etc/ssh/sshd_config'), 5 * 1024 * 1024);
    await expect(sshdCollector.run(createCollectContext({ root }))).rejects.toThrow(/sshd_config: \d+ bytes/);
  });

  it('reads binary garbage as a file without settings: the defaults apply', async () => {
    const { byId } = await facts({ 'etc/ssh/sshd_config': Buffer.from([0, 1, 2, 0x0d, 0xff, 0x0a, 0x50]) });
    expect(byId['ssh.permit_root_login']?.severity).toBe('NONE');
    expect(byId['ssh.password_authentication']?.observed).toBe('PasswordAuthentication yes (default)');
  });
});
