// Bundles vigil-agent into one file that runs on Node >= 18 with no node_modules:
//   node build.mjs [--outfile PATH] [--release-keys FILE]         (default dist/vigil-agent.mjs)
// or into a single executable that needs no Node at all (see build-sea.mjs):
//   node build.mjs --sea [--outfile PATH] [--release-keys FILE]   (default dist/vigil-agent)
import { chmod, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { outfile: { type: 'string' }, 'release-keys': { type: 'string' }, sea: { type: 'boolean', default: false } },
});
const outfile = resolve(values.outfile ?? join(here, 'dist', values.sea ? 'vigil-agent' : 'vigil-agent.mjs'));
const { version } = JSON.parse(await readFile(join(here, 'package.json'), 'utf8'));
// The release keys self-update trusts are pinned into the file at build time, never read at run
// time: --release-keys FILE (a JSON array of { kid, x }, as `vigil release keygen` prints them).
const releaseKeys = values['release-keys'] ? JSON.parse(await readFile(values['release-keys'], 'utf8')) : [];
const headline = `// vigil-agent ${version}: one file, no dependencies. Source: packages/agent in the Vigil repository.`;

/** What both builds share; each adds its format, target and banner. */
const common = {
  entryPoints: [join(here, 'src', 'cli', 'entry.ts')],
  bundle: true,
  platform: 'node',
  // Readable on the server it runs on: an operator can see what a root process does.
  minify: false,
  legalComments: 'inline',
  define: {
    // Tells src/cli/self-image.ts which file self-update may replace (never the sources under tsx).
    __VIGIL_BUNDLE__: JSON.stringify(values.sea ? 'sea' : 'script'),
    __VIGIL_RELEASE_KEYS__: JSON.stringify(releaseKeys),
  },
  logLevel: 'warning',
};

if (values.sea) {
  const { buildSingleExecutable } = await import('./build-sea.mjs');
  const { size } = await buildSingleExecutable({ esbuildOptions: common, headline, outfile });
  console.log(`built ${outfile} (vigil-agent ${version} for ${process.platform}-${process.arch}, Node ${process.version},`);
  console.log(`  ${(size / 1024 / 1024).toFixed(1)} MiB, ${releaseKeys.length} release key(s) pinned)`);
} else {
  await build({
    ...common,
    outfile,
    target: 'node18',
    format: 'esm',
    // Some bundled CommonJS code calls require() for Node built-ins, which ESM lacks.
    banner: {
      js: [
        '#!/usr/bin/env node',
        headline,
        "import { createRequire as __vigilCreateRequire } from 'node:module';",
        'const require = __vigilCreateRequire(import.meta.url);',
      ].join('\n'),
    },
  });
  await chmod(outfile, 0o755);
  console.log(`built ${outfile} (vigil-agent ${version}, ${releaseKeys.length} release key(s) pinned)`);
}
