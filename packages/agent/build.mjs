// Bundles vigil-agent into one file that runs on Node >= 18 with no node_modules:
//   node build.mjs [--outfile PATH] [--release-keys FILE]   (default dist/vigil-agent.mjs)
import { chmod, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { outfile: { type: 'string' }, 'release-keys': { type: 'string' } } });
const outfile = resolve(values.outfile ?? join(here, 'dist', 'vigil-agent.mjs'));
const { version } = JSON.parse(await readFile(join(here, 'package.json'), 'utf8'));
// The release keys self-update trusts are pinned into the file at build time, never read at run
// time: --release-keys FILE (a JSON array of { kid, x }, as `vigil release keygen` prints them).
const releaseKeys = values['release-keys'] ? JSON.parse(await readFile(values['release-keys'], 'utf8')) : [];

await build({
  entryPoints: [join(here, 'src', 'cli', 'entry.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'esm',
  // Readable on the server it runs on: an operator can see what a root process does.
  minify: false,
  legalComments: 'inline',
  define: {
    // Tells src/cli/hooks.ts that self-update may replace this file (never the sources under tsx).
    __VIGIL_BUNDLE__: 'true',
    __VIGIL_RELEASE_KEYS__: JSON.stringify(releaseKeys),
  },
  // Some bundled CommonJS code calls require() for Node built-ins, which ESM lacks.
  banner: {
    js: [
      '#!/usr/bin/env node',
      `// vigil-agent ${version}: one file, no dependencies. Source: packages/agent in the Vigil repository.`,
      "import { createRequire as __vigilCreateRequire } from 'node:module';",
      'const require = __vigilCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  logLevel: 'warning',
});
await chmod(outfile, 0o755);
console.log(`built ${outfile} (vigil-agent ${version}, ${releaseKeys.length} release key(s) pinned)`);
