import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parseReleaseKeys, pinnedReleaseKeys, RELEASE_KEYS_DEFINE } from './release-keys.ts';
import { releaseKey } from './update.test-kit.ts';

const SOURCE = fileURLToPath(new URL('./release-keys.ts', import.meta.url));

/** Bundles release-keys.ts as the agent build does and reads `pinnedReleaseKeys()` from the bundle. */
async function bundledKeys(define: Record<string, string>): Promise<unknown> {
  const result = await build({
    stdin: { contents: `export { pinnedReleaseKeys } from ${JSON.stringify(SOURCE)};`, resolveDir: '/', loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    define,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.text ?? '';
  const module = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as {
    pinnedReleaseKeys(): unknown;
  };
  return module.pinnedReleaseKeys();
}

describe('pinned release keys', () => {
  it('are none in an unbundled run: no key can come from the environment or a file', () => {
    expect(pinnedReleaseKeys()).toEqual([]);
  });

  it(`are the ones the bundler injects through ${RELEASE_KEYS_DEFINE}`, async () => {
    const keys = [releaseKey('release-2026').trusted, releaseKey('release-2027').trusted];
    expect(await bundledKeys({ [RELEASE_KEYS_DEFINE]: JSON.stringify(keys) })).toEqual(keys);
    expect(await bundledKeys({})).toEqual([]);
  });

  it('refuse a malformed injection loudly rather than trusting part of it', async () => {
    await expect(bundledKeys({ [RELEASE_KEYS_DEFINE]: JSON.stringify([{ kid: 'k', x: 'short' }]) })).rejects.toThrow(/raw Ed25519 key/);
    expect(() => parseReleaseKeys({ kid: 'k' })).toThrow(/JSON array/);
    expect(() => parseReleaseKeys([{ kid: 'has space', x: 'A'.repeat(43) }])).toThrow(/\[0\]/);
    expect(() => parseReleaseKeys([null])).toThrow(/\[0\]/);
    expect(parseReleaseKeys([{ kid: 'ok', x: 'A'.repeat(43), extra: 1 }])).toEqual([{ kid: 'ok', x: 'A'.repeat(43) }]);
  });
});
