import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, publicLink } from './config.ts';

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  it('defaults to the embedded database on loopback port 8080', () => {
    const config = loadConfig({});
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8080);
    expect(config.database.kind).toBe('pglite');
    expect(config.dataDir.endsWith('.vigil-data')).toBe(true);
    expect(config.publicUrl.toString()).toBe('http://127.0.0.1:8080/');
    expect(config.tls).toBe(false);
    expect(config.trustProxy).toEqual([]);
  });

  it('switches to PostgreSQL when DATABASE_URL is set, migrating with the same URL unless told otherwise', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://vigil@db:5432/vigil' });
    expect(config.database).toMatchObject({
      kind: 'postgres',
      url: 'postgres://vigil@db:5432/vigil',
      migrationUrl: 'postgres://vigil@db:5432/vigil',
    });
    const split = loadConfig({ DATABASE_URL: 'postgres://app@db/vigil', DATABASE_MIGRATION_URL: 'postgresql://owner@db/vigil' });
    expect(split.database).toMatchObject({ migrationUrl: 'postgresql://owner@db/vigil' });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT', /integer between 1 and 65535.*"abc"/],
    [{ PORT: '70000' }, 'PORT', /between 1 and 65535/],
    [{ PORT: '80.5' }, 'PORT', /integer/],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL', /postgres:\/\/ or postgresql:\/\//],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL', /postgres/],
    [{ DATABASE_MIGRATION_URL: 'postgres://a@b/c' }, 'DATABASE_MIGRATION_URL', /only used together with DATABASE_URL/],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', /one of fatal, error, warn, info, debug, trace, silent/],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT', /auto, json, pretty/],
    [{ TRUST_PROXY: '10.0.0.1,not-an-ip' }, 'TRUST_PROXY', /IP addresses or CIDR/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY', /CIDR/],
    [{ PUBLIC_URL: 'http://vigil.example.com' }, 'PUBLIC_URL', /https unless the host is loopback/],
    [{ PUBLIC_URL: 'ftp://vigil.example.com' }, 'PUBLIC_URL', /https/],
    [{ PUBLIC_URL: 'https://user:pw@vigil.example.com' }, 'PUBLIC_URL', /credentials/],
    [{ PUBLIC_URL: 'vigil.example.com' }, 'PUBLIC_URL', /absolute/],
    [{ SHUTDOWN_TIMEOUT_MS: '0' }, 'SHUTDOWN_TIMEOUT_MS', /between 1 and/],
    [{ DATABASE_POOL_MAX: '-1' }, 'DATABASE_POOL_MAX', /between 1 and 200/],
    [{ DATABASE_ALLOW_PRIVILEGED_LOGIN: 'yes' }, 'DATABASE_ALLOW_PRIVILEGED_LOGIN', /true or false/],
    [{ JOB_POLL_INTERVAL_S: '120' }, 'JOB_POLL_INTERVAL_S', /between 1 and 60/],
    [{ HOST: '10.0.0.5' }, 'PUBLIC_URL', /must be set .* when HOST is not loopback \(HOST is "10.0.0.5"\)/],
    [{ FEED_MIRRORS: 'kev' }, 'FEED_MIRRORS', /feed=URL pairs/],
    [{ FEED_MIRRORS: 'kev=ftp://mirror.example/kev.json' }, 'FEED_MIRRORS', /feed=URL pairs/],
    [{ FEED_MIRRORS: '../x=https://mirror.example/kev.json' }, 'FEED_MIRRORS', /feed=URL pairs/],
    [{ FEED_MAX_AGE_HOURS: '0' }, 'FEED_MAX_AGE_HOURS', /between 1 and 8760/],
    [{ FEED_SYNC_CRON: '*/5 * *' }, 'FEED_SYNC_CRON', /five-field cron/],
    [{ OUTBOUND_ALLOW_HTTP: 'yes' }, 'OUTBOUND_ALLOW_HTTP', /true or false/],
    [{ OUTBOUND_ALLOW_PRIVATE_HOSTS: 'mirror.lan' }, 'OUTBOUND_ALLOW_PRIVATE_HOSTS', /host:port/],
    [{ OUTBOUND_MAX_MB: '100000' }, 'OUTBOUND_MAX_MB', /between 1 and 65536/],
    [{ SMTP_URL: 'smtp://mail.example.com:587' }, 'MAIL_FROM', /must be set .* when SMTP_URL is set/],
    [{ SMTP_URL: 'https://mail.example.com', MAIL_FROM: 'vigil@example.com' }, 'SMTP_URL', /smtp:\/\/ or smtps:\/\//],
    [{ SMTP_URL: 'mail.example.com:587', MAIL_FROM: 'vigil@example.com' }, 'SMTP_URL', /smtp:\/\/ or smtps:\/\//],
    [{ SMTP_URL: 'smtp://mail.example.com', MAIL_FROM: 'Vigil <vigil@example.com>' }, 'MAIL_FROM', /one email address/],
    [{ SMTP_URL: 'smtp://mail.example.com', MAIL_FROM: 'vigil@example.com\r\nBcc: x@example.com' }, 'MAIL_FROM', /one email address/],
    [{ MAIL_FROM: 'not-an-address' }, 'MAIL_FROM', /one email address/],
    [{ SMTP_ALLOW_PLAINTEXT: 'yes' }, 'SMTP_ALLOW_PLAINTEXT', /true or false/],
  ])('refuses %j naming the variable and what it allows', (env, variable, message) => {
    const error = refusal(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable} `)).toBe(true);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });

  it.each([
    [{ DATABASE_URL: 'postgress://vigil:hunter2@db/vigil' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'vigil:hunter2@db/vigil' }, 'DATABASE_URL'],
    [{ PUBLIC_URL: 'https://admin:hunter2@vigil.example.com' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'http://admin:hunter2@vigil.example.com' }, 'PUBLIC_URL'],
    [{ FEED_MIRRORS: 'kev=https://mirror.example/kev.json?token=hunter2,epss' }, 'FEED_MIRRORS'],
    [{ FEED_MIRRORS: 'kev=https://u:hunter2@mirror.example/kev.json' }, 'FEED_MIRRORS'],
    [{ SMTP_URL: 'https://vigil:hunter2@mail.example.com', MAIL_FROM: 'vigil@example.com' }, 'SMTP_URL'],
    [{ SMTP_URL: 'smtp://vigil:hunter2@mail.example.com/?x=1', MAIL_FROM: 'vigil@example.com' }, 'SMTP_URL'],
    [{ SMTP_URL: 'smtp//vigil:hunter2@mail.example.com', MAIL_FROM: 'vigil@example.com' }, 'SMTP_URL'],
    [{ SMTP_URL: 'smtp://vigil:hunter2@mail.example.com' }, 'MAIL_FROM'],
  ])('does not echo a password from %j', (env, variable) => {
    const error = refusal(env);
    expect(error.variable).toBe(variable);
    expect(error.message).not.toContain('hunter2');
  });

  it('keeps a privileged database login refused unless explicitly allowed', () => {
    const url = 'postgres://postgres@db/vigil';
    expect(loadConfig({ DATABASE_URL: url }).database).toMatchObject({ allowPrivilegedLogin: false });
    expect(loadConfig({ DATABASE_URL: url, DATABASE_ALLOW_PRIVILEGED_LOGIN: 'true' }).database).toMatchObject({
      allowPrivilegedLogin: true,
    });
  });

  it('reads feed mirrors and the outbound policy; by default https only, no mirrors, no private hosts', () => {
    expect(loadConfig({})).toMatchObject({
      feeds: { mirrors: [], maxAgeHours: 48, syncCron: '17 */6 * * *' },
      outbound: { allowHttp: false, allowPrivateHosts: [], maxBytes: 2048 * 1024 * 1024, timeoutMs: 600_000 },
    });
    const config = loadConfig({
      FEED_MIRRORS: ' kev=https://mirror.lan/kev.json , osv:Go=https://mirror.lan/Go/all.zip?token=x ',
      OUTBOUND_ALLOW_PRIVATE_HOSTS: 'Mirror.LAN:443,[fd00::5]:8443',
    });
    expect(config.feeds.mirrors).toEqual([
      { feed: 'kev', url: 'https://mirror.lan/kev.json' },
      { feed: 'osv:Go', url: 'https://mirror.lan/Go/all.zip?token=x' },
    ]);
    expect(config.outbound.allowPrivateHosts).toEqual(['mirror.lan:443', '[fd00::5]:8443']);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).database.kind).toBe('pglite');
  });

  it('accepts proxies as addresses and CIDR ranges, IPv4 and IPv6', () => {
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1,fd00::/8' }).trustProxy).toEqual([
      '10.0.0.1',
      '192.168.0.0/16',
      '::1',
      'fd00::/8',
    ]);
  });

  it('turns on TLS behaviour for an https public URL and keeps its base path', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://vigil.example.com/monitor' });
    expect(config.tls).toBe(true);
    expect(config.publicUrl.toString()).toBe('https://vigil.example.com/monitor/');
  });

  it('builds links from the public URL only', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://vigil.example.com/monitor' });
    expect(publicLink(config, '/setup', 'token=abc')).toBe('https://vigil.example.com/monitor/setup#token=abc');
    // A path that tries to leave the configured origin stays on it.
    expect(new URL(publicLink(config, '//evil.example/x')).host).toBe('vigil.example.com');
  });

  it('sends mail through SMTP only when SMTP_URL and MAIL_FROM are set', () => {
    expect(loadConfig({}).mail).toEqual({ smtp: null });
    expect(loadConfig({ SMTP_URL: 'smtps://vigil:p%40ss@mail.example.com:465', MAIL_FROM: 'vigil@example.com' }).mail).toEqual({
      smtp: { url: 'smtps://vigil:p%40ss@mail.example.com:465', allowPlaintext: false, from: 'vigil@example.com' },
    });
    expect(
      loadConfig({ SMTP_URL: 'smtp://relay.lan:25', SMTP_ALLOW_PLAINTEXT: 'true', MAIL_FROM: 'vigil@example.com' }).mail.smtp,
    ).toMatchObject({ allowPlaintext: true });
  });

  it('uses pretty logs only on a terminal unless told', () => {
    expect(loadConfig({}, { isTTY: true }).log.pretty).toBe(true);
    expect(loadConfig({}, { isTTY: false }).log.pretty).toBe(false);
    expect(loadConfig({ LOG_FORMAT: 'json' }, { isTTY: true }).log.pretty).toBe(false);
  });
});
