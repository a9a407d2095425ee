import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFakeRoot, type FakeRoot, upgradeDpkgPackage } from '../../agent/test/fake-root.ts';
import type { FindingDetailView, FindingView } from '../src/modules/findings/findings.schemas.ts';
import {
  type AgentMachine,
  type ApiClient,
  apiClient,
  createAgentMachine,
  importFixtureFeeds,
  installedDpkgVersions,
  loginOverHttp,
  readFixtureJson,
} from './helpers/agent-e2e.ts';
import { seedMember } from './helpers/auth-flow.ts';
import { createFactories } from './helpers/factories.ts';
import { createTestApp, type TestApp } from './helpers/test-app.ts';

/**
 * Issue 6's "must show", end to end: the real server on loopback (real database, real logins)
 * with the fixture feeds imported, and the real `vigil-agent` as a child process on a fake
 * Ubuntu 18.04 root built from the shared fixtures. Every expectation below was checked by hand
 * against the fixture files (the USN records against the bionic dpkg status, the Wordfence
 * constraints against the fake WordPress site); nothing is recomputed with the code under test.
 */

interface Asset {
  id: string;
  name: string;
  clientId: string | null;
  agentState: string;
  hostname: string | null;
  lastSeenAt: string | null;
  kernel: string | null;
  os: { ecosystem: string | null } | null;
}

let ta: TestApp;
let origin: string;
let ownerA: ApiClient;
let ownerB: ApiClient;
let clientA: string;
let machine: AgentMachine;
let fake: FakeRoot;
let enrollToken: string;
let assetId: string;

/** USN-4705-1 (Baron Samedit): the fixed sudo for 18.04, read from the record itself. */
let sameditFix: string;
let sameditKevDue: string;

beforeAll(async () => {
  ta = await createTestApp({ RATE_LIMITS: 'login=1000/min,login_account=1000/hour,public=1000/min,enroll=1000/min' }, { realAuth: true });
  await importFixtureFeeds(ta.t.database);
  await ta.app.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(ta.app.server.address() as AddressInfo).port}`;

  const f = createFactories(ta.t.database.db);
  const a = await seedMember(ta, { role: 'OWNER' });
  clientA = (await f.client(a.orgId)).id;
  await seedMember(ta, { role: 'CLIENT_OWNER', orgId: a.orgId, clientId: clientA });
  const b = await seedMember(ta, { role: 'OWNER' });
  await f.client(b.orgId);
  ownerA = apiClient(origin, await loginOverHttp(origin, a.email, a.password));
  ownerB = apiClient(origin, await loginOverHttp(origin, b.email, b.password));

  machine = await createAgentMachine();
  fake = await buildFakeRoot(path.join(machine.base, 'root'));

  const usn = await readFixtureJson<{
    affected: { package: { ecosystem: string; name: string }; ranges: { events: { fixed?: string }[] }[] }[];
  }>('osv/ubuntu-usn/USN-4705-1.json');
  const bionic = usn.affected.find((a) => a.package.ecosystem === 'Ubuntu:18.04:LTS' && a.package.name === 'sudo');
  sameditFix = bionic?.ranges.flatMap((r) => r.events).find((e) => e.fixed)?.fixed ?? '';
  expect(sameditFix).toBe('1.8.21p2-3ubuntu1.4');
  const kev = await readFixtureJson<{ vulnerabilities: { cveID: string; dueDate: string }[] }>('kev/known_exploited_vulnerabilities.json');
  sameditKevDue = kev.vulnerabilities.find((v) => v.cveID === 'CVE-2021-3156')?.dueDate ?? '';
  expect(sameditKevDue).toMatch(/^\d{4}-\d{2}-\d{2}$/);
}, 300_000);

afterAll(async () => {
  await machine?.cleanup();
  await ta?.close();
});

const findingsOfA = () => ownerA.all<FindingView>('/api/v1/findings?limit=200');
const assetOfA = async () => {
  const response = await ownerA.get<Asset>(`/api/v1/assets/${assetId}`);
  expect(response.status).toBe(200);
  return response.body;
};
const runOnce = () => machine.agent(['run', '--once', '--root', fake.root]);
const pkg = (findings: FindingView[], vulnId: string, name: string) =>
  findings.find((f) => f.kind === 'package' && f.vulnId === vulnId && f.package?.name === name);
const config = (findings: FindingView[], id: string) => findings.find((f) => f.kind === 'config' && f.vulnId === id);

describe('an agent on a fake Ubuntu 18.04 server, against the real server on loopback', () => {
  it('enrolls with a one-time token an owner created through the API', async () => {
    const issued = await ownerA.post<{ token: string; state: string }>('/api/v1/enrollment-tokens', { name: 'web-01', clientId: clientA });
    expect(issued.status).toBe(201);
    enrollToken = issued.body.token;

    const enrolled = await machine.agent([
      'enroll',
      '--server',
      origin,
      '--token',
      enrollToken,
      '--name',
      'web-01.example.test',
      ...fake.lockfilePaths.flatMap((p) => ['--lockfile-path', p]),
      ...fake.webRoots.flatMap((p) => ['--web-root', p]),
    ]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    assetId = enrolled.stdout.match(/as asset ([0-9a-f-]{36})/)?.[1] ?? '';
    expect(assetId).not.toBe('');
    const agentToken = (await readFile(path.join(machine.configDir, 'token'), 'utf8')).trim();
    expect(agentToken).toMatch(/^vgl_agent_/);
    for (const output of [enrolled.stdout, enrolled.stderr]) {
      expect(output).not.toContain(enrollToken);
      expect(output).not.toContain(agentToken);
    }
    const asset = await assetOfA();
    expect(asset).toMatchObject({ name: 'web-01.example.test', clientId: clientA, agentState: 'enrolled' });

    const tokens = await ownerA.get<{ items: { state: string; usedByAssetId: string | null }[] }>('/api/v1/enrollment-tokens');
    expect(tokens.body.items).toEqual([expect.objectContaining({ state: 'used', usedByAssetId: assetId })]);
    // The token was one-time: a second machine cannot enroll with it.
    const other = await createAgentMachine();
    try {
      const again = await other.agent(['enroll', '--server', origin, '--token', enrollToken]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('the server refused the enrollment token');
    } finally {
      await other.cleanup();
    }
  });

  it('runs once: the package and configuration findings appear under that org and client', async () => {
    const run = await runOnce();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/inventory sent \(first inventory\): \d+ packages/);

    const asset = await assetOfA();
    expect(asset).toMatchObject({ clientId: clientA, agentState: 'online', hostname: 'web-01', kernel: '4.15.0-66-generic' });
    expect(asset.os?.ecosystem).toBe('Ubuntu:18.04:LTS');
    expect(asset.lastSeenAt).not.toBeNull();

    const findings = await findingsOfA();
    expect(findings.every((f) => f.asset.id === assetId && f.clientId === clientA)).toBe(true);
    expect(findings.every((f) => f.status === 'open')).toBe(true);

    // Baron Samedit: sudo 1.8.21p2-3ubuntu1.1 is below 1.8.21p2-3ubuntu1.4, and CVE-2021-3156 is in KEV.
    expect(pkg(findings, 'USN-4705-1', 'sudo')).toMatchObject({
      package: { ecosystem: 'Ubuntu:18.04:LTS', version: '1.8.21p2-3ubuntu1.1' },
      fixedVersion: sameditFix,
      kev: true,
      kevDueDate: sameditKevDue,
      priority: 'P1',
    });
    expect(pkg(findings, 'USN-4705-1', 'sudo')?.aliases).toContain('CVE-2021-3156');
    // Other installed versions below their 18.04 fix (binary packages of the named source).
    expect(pkg(findings, 'USN-4288-1', 'ppp')).toMatchObject({
      package: { version: '2.4.7-2+2ubuntu1.1' },
      fixedVersion: '2.4.7-2+2ubuntu1.2',
    });
    expect(pkg(findings, 'USN-4402-1', 'libcurl4')).toMatchObject({ package: { sourceName: 'curl', version: '7.58.0-2ubuntu3.8' } });
    expect(pkg(findings, 'USN-4376-1', 'openssl')).toBeDefined();
    expect(pkg(findings, 'USN-4376-1', 'libssl1.1')).toBeDefined();
    expect(pkg(findings, 'USN-4220-1', 'git')).toBeDefined();
    expect(pkg(findings, 'USN-4217-1', 'libsmbclient')).toBeDefined();
    // Installed at (or above) the fix, or no 18.04 entry at all: no finding.
    const ids = new Set(findings.map((f) => f.vulnId));
    for (const none of ['USN-4154-1', 'USN-4167-1', 'USN-4132-1', 'USN-4038-1', 'USN-3885-1', 'USN-2232-1', 'USN-2363-1', 'USN-4263-2']) {
      expect(ids.has(none), none).toBe(false);
    }

    // Every package finding names what the fake root really holds, at the version it holds.
    const dpkg = await installedDpkgVersions(path.join(fake.root, 'var/lib/dpkg/status'));
    for (const f of findings.filter((x) => x.kind === 'package')) {
      if (f.package?.ecosystem === 'WordPress') {
        const file = await readFile(path.join(fake.root, f.package.location ?? '/nonexistent'), 'utf8');
        expect(file, `${f.vulnId} ${f.package.name}`).toContain(f.package.version ?? '\u0000');
      } else {
        expect(f.package?.ecosystem).toBe('Ubuntu:18.04:LTS');
        expect(dpkg.get(f.package?.name ?? ''), `${f.vulnId} ${f.package?.name}`).toBe(f.package?.version);
      }
    }

    // WordPress: the File Manager RCE (<= 6.8, in KEV) on plugin 6.0, Contact Form 7 < 5.3.2 on
    // 5.0.3, Twenty Fifteen <= 1.1 on 1.1.
    const wp = (slug: string, cve: string) => findings.find((f) => f.package?.name === slug && f.aliases.includes(cve));
    expect(wp('plugin/wp-file-manager', 'CVE-2020-25213')).toMatchObject({
      package: { ecosystem: 'WordPress', version: '6.0' },
      kev: true,
      priority: 'P1',
    });
    expect(wp('plugin/contact-form-7', 'CVE-2020-35489')).toMatchObject({ package: { version: '5.0.3' } });
    expect(wp('theme/twentyfifteen', 'CVE-2015-3429')).toMatchObject({ package: { version: '1.1' } });
    expect(findings.some((f) => f.package?.name === 'wordpress' && f.package.version === '4.9.8')).toBe(true);

    // Configuration: what the fake root's sshd_config, passwd, ufw and /run/reboot-required say.
    expect(config(findings, 'ssh.permit_root_login')).toMatchObject({ severity: 'HIGH' });
    expect(config(findings, 'ssh.password_authentication')).toBeDefined();
    expect(config(findings, 'accounts.uid0')?.title).toContain('toor');
    expect(config(findings, 'firewall.active')).toBeDefined();
    expect(config(findings, 'system.reboot_required')).toBeDefined();
    const rootLogin = await ownerA.get<FindingDetailView>(`/api/v1/findings/${config(findings, 'ssh.permit_root_login')?.id}`);
    expect(rootLogin.status).toBe(200);
    expect(rootLogin.body.observed).toContain('PermitRootLogin yes');
    expect(rootLogin.body.evidence.some((e) => e.startsWith('/etc/ssh/sshd_config'))).toBe(true);
    expect(rootLogin.body.remediation).toContain('PermitRootLogin no');
  });

  it('shows none of it to another organization', async () => {
    const findings = await findingsOfA();
    expect(findings.length).toBeGreaterThan(0);
    expect(await ownerB.all('/api/v1/findings?limit=200')).toEqual([]);
    expect((await ownerB.get('/api/v1/assets')).body).toEqual({ items: [] });
    expect((await ownerB.get(`/api/v1/assets/${assetId}`)).status).toBe(404);
    expect((await ownerB.get(`/api/v1/assets/${assetId}/packages`)).status).toBe(404);
    for (const f of findings.slice(0, 3)) expect((await ownerB.get(`/api/v1/findings/${f.id}`)).status).toBe(404);
    expect((await ownerB.delete(`/api/v1/assets/${assetId}/agent-token`)).status).toBe(404);
  });

  it('reports its status with the server and never the token', async () => {
    const status = await machine.agent(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`${origin}/`);
    expect(status.stdout).toContain(assetId);
    expect(status.stdout).toMatch(/last inventory:\s+\S+, \d+ packages/);
    const agentToken = (await readFile(path.join(machine.configDir, 'token'), 'utf8')).trim();
    for (const secret of [agentToken, enrollToken]) expect(`${status.stdout}${status.stderr}`).not.toContain(secret);
  });

  it('marks the finding fixed when the package is upgraded, and keeps the others open', async () => {
    const before = await findingsOfA();
    expect(await upgradeDpkgPackage(fake.root, 'sudo', sameditFix)).toBe('1.8.21p2-3ubuntu1.1');
    const run = await runOnce();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('1 changed');

    const after = await findingsOfA();
    expect(after.map((f) => f.id).sort()).toEqual(before.map((f) => f.id).sort());
    const samedit = pkg(after, 'USN-4705-1', 'sudo');
    expect(samedit).toMatchObject({ status: 'fixed' });
    expect(Date.parse(samedit?.fixedAt ?? '')).toBeGreaterThan(Date.parse(samedit?.firstSeenAt ?? ''));
    // The package database changed today, so "not updated for a long time" is fixed too.
    expect(config(after, 'packages.last_update')?.status).toBe('fixed');
    const stillOpen = after.filter((f) => f.id !== samedit?.id && f.vulnId !== 'packages.last_update');
    expect(stillOpen.length).toBe(before.length - 2);
    expect(stillOpen.every((f) => f.status === 'open' && f.fixedAt === null)).toBe(true);
    expect((await ownerA.all<FindingView>('/api/v1/findings?status=open&limit=200')).length).toBe(stillOpen.length);

    const changes = await ownerA.all<{ change: string; name: string; oldVersion: string; newVersion: string }>(
      `/api/v1/assets/${assetId}/package-changes?limit=500`,
    );
    expect(changes.filter((c) => c.change === 'changed')).toEqual([
      expect.objectContaining({ name: 'sudo', oldVersion: '1.8.21p2-3ubuntu1.1', newVersion: sameditFix }),
    ]);
  });

  it('is refused at its next check-in once its token is revoked, and the server records nothing', async () => {
    const seen = (await assetOfA()).lastSeenAt;
    const findings = await findingsOfA();
    expect((await ownerA.delete(`/api/v1/assets/${assetId}/agent-token`)).status).toBe(204);

    const run = await runOnce();
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain("the server refused this agent's token (revoked or rotated): re-enroll with `vigil-agent enroll`");
    expect((await assetOfA()).lastSeenAt).toBe(seen);
    expect(await findingsOfA()).toEqual(findings);
    const status = await machine.agent(['status']);
    expect(status.stdout).toMatch(/last error:\s+\S+: the server refused this agent's token/);
  });
});
