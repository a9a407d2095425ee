// The single executable (Node's "single executable applications"): the agent bundled as CommonJS,
// turned into a preparation blob by this very node, and injected with postject into a copy of
// this node's binary. The result runs where no Node is installed, for the os and architecture
// the build runs on, with this node's version. Used by `node build.mjs --sea`.
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

/** The resource name and fuse Node's own SEA loader looks for (src/node_sea.cc). */
const SEA_RESOURCE = 'NODE_SEA_BLOB';
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Stops with the reason before anything is written: a half-working executable is worse than none. */
function assertBuildable() {
  // Releases exist for linux-x64 and linux-arm64; macOS and Windows binaries also need their
  // signatures removed and re-applied, which this build does not do.
  if (process.platform !== 'linux') throw new Error(`single executables are built on Linux only (this is ${process.platform})`);
  const { single_executable_application: seaSupport, node_shared: shared } = process.config.variables;
  if (!seaSupport || shared) throw new Error(`this node (${process.execPath}) was built without single executable support`);
  // The agent asks node:sea whether it runs as an executable to know which file self-update may
  // replace (src/cli/self-image.ts); without isSea() it would never self-update.
  const sea = createRequire(import.meta.url)('node:sea');
  if (typeof sea.isSea !== 'function') throw new Error(`Node ${process.version} lacks node:sea isSea(); build with Node >= 20.12`);
}

/**
 * @param {{ esbuildOptions: import('esbuild').BuildOptions, headline: string, outfile: string }} options
 * @returns {Promise<{ size: number }>}
 */
export async function buildSingleExecutable({ esbuildOptions, headline, outfile }) {
  assertBuildable();
  const { inject } = createRequire(import.meta.url)('postject');
  const work = await mkdtemp(join(tmpdir(), 'vigil-agent-sea-'));
  try {
    const script = join(work, 'vigil-agent.cjs');
    const result = await build({
      ...esbuildOptions,
      outfile: script,
      // SEA runs one CommonJS script, on exactly this node.
      format: 'cjs',
      target: `node${process.versions.node.split('.')[0]}`,
      // CommonJS has no import.meta; inside the executable __filename is the executable itself.
      define: { ...esbuildOptions.define, 'import.meta.url': '__vigilSelfUrl' },
      banner: { js: [headline, "const __vigilSelfUrl = require('node:url').pathToFileURL(__filename).href;"].join('\n') },
    });
    // Any other import.meta use would be empty at run time: refuse rather than ship it.
    if (result.warnings.length > 0) throw new Error(`the CommonJS bundle has ${result.warnings.length} warning(s), see above`);

    const blob = join(work, 'sea-prep.blob');
    const config = join(work, 'sea-config.json');
    await writeFile(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true }));
    await promisify(execFile)(process.execPath, ['--experimental-sea-config', config], { cwd: work });

    // Built beside the target and renamed over it: a failed build never leaves a broken binary.
    await mkdir(dirname(outfile), { recursive: true });
    const partial = `${outfile}.partial`;
    await copyFile(process.execPath, partial);
    await chmod(partial, 0o755);
    try {
      await inject(partial, SEA_RESOURCE, await readFile(blob), { sentinelFuse: SEA_FUSE });
      await rename(partial, outfile);
    } finally {
      await rm(partial, { force: true });
    }
    return { size: (await stat(outfile)).size };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
