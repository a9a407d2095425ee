import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RELEASE_SCHEMA, type ReleaseManifest, type SignedRelease, sealEnvelope, type TrustedKey, trustedKeyOf } from '@vigil/protocol';

/** A release key as a publisher holds it: the private half signs, the agent pins the public half. */
export function releaseKey(kid = 'test-release-1'): { kid: string; privateKey: KeyObject; trusted: TrustedKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, trusted: trustedKeyOf(kid, publicKey) };
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export function manifestFor(file: Buffer, overrides: Partial<ReleaseManifest> = {}): ReleaseManifest {
  return {
    schema: RELEASE_SCHEMA,
    version: '0.2.0',
    platform: 'node',
    sha256: sha256(file),
    size: file.length,
    minimumVersion: '0.1.0',
    expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    url: '/downloads/agent/node/0.2.0/vigil-agent.mjs',
    ...overrides,
  };
}

export function sign(manifest: ReleaseManifest, key: { kid: string; privateKey: KeyObject }): SignedRelease {
  return sealEnvelope(manifest, key.kid, key.privateKey);
}

/** A real HTTP server on loopback serving fixed bodies by path, or a custom handler. */
export async function fileServer(
  routes: Map<string, Buffer | ((res: ServerResponse) => void)>,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const route = routes.get(req.url ?? '');
    if (route === undefined) {
      res.writeHead(404).end();
      return;
    }
    if (typeof route === 'function') return route(res);
    res.writeHead(200, { 'content-length': route.length, 'content-type': 'application/octet-stream' }).end(route);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An installed agent in a temp dir: its file, its state directory, and a snapshot to compare with. */
export async function installedAgent(content = Buffer.from('// vigil-agent 0.1.0\nconsole.log("old");\n')) {
  const root = await mkdtemp(path.join(tmpdir(), 'vigil-update-'));
  const lib = path.join(root, 'lib');
  const stateDir = path.join(root, 'state');
  await mkdir(lib, { recursive: true });
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const selfPath = path.join(lib, 'vigil-agent.mjs');
  await writeFile(selfPath, content, { mode: 0o755 });
  const before = await stat(selfPath);
  return {
    root,
    selfPath,
    stateDir,
    content,
    /** The running file is byte-identical, same inode and mtime, and nothing was left beside it. */
    async untouched(): Promise<{ same: boolean; leftovers: string[] }> {
      const now = await stat(selfPath);
      const bytes = await readFile(selfPath);
      const { readdir } = await import('node:fs/promises');
      return {
        same: bytes.equals(content) && now.ino === before.ino && now.mtimeMs === before.mtimeMs && now.mode === before.mode,
        leftovers: [...(await readdir(lib)).filter((name) => name !== 'vigil-agent.mjs'), ...(await readdir(stateDir))],
      };
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export function recordingLog() {
  const lines: string[] = [];
  return { lines, info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) };
}
