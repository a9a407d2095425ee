/**
 * `npm run bench:match`: how fast advisories load, how fast an inventory matches once they are
 * loaded, and how long `vigil scan` takes from process start. One figure per line. Targets (2 cores):
 * a 2,000-package inventory in <= 20 ms median; `vigil scan` of the Ubuntu inventory against every
 * fixture advisory in <= 2 s; peak memory < 512 MB.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdvisoryIndex, collectInventories, matchSources, readAdvisories } from '@vigil/vulndb';
import { ALL_ADVISORIES, FIXTURES } from '../test/helpers/scan-fixtures.ts';

const VIGIL = fileURLToPath(new URL('../bin/vigil.js', import.meta.url));
const SOURCES = ALL_ADVISORIES;
const INVENTORIES: { file: string; args: string[] }[] = [
  { file: 'inventories/ubuntu-18.04-bionic.dpkg-status', args: [] },
  { file: 'inventories/debian-12-this-machine.dpkg-status', args: [] },
  { file: 'inventories/nodegoat.package-lock.json', args: [] },
  { file: 'inventories/bookstack-2024.package-lock.json', args: [] },
  { file: 'inventories/bookstack-2024.composer.lock', args: [] },
  { file: 'inventories/poetry-2026.poetry.lock', args: [] },
  { file: 'inventories/alpine/alpine-3.16-syft-multiple-2.apk-installed', args: ['--distro', 'alpine:3.16'] },
];
const MATCH_ROUNDS = 200;
const SCAN_ROUNDS = 3;

const figure = (name: string, value: number, unit: string) => console.log(`${name}: ${Number(value.toFixed(2))} ${unit}`);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;

figure('cores', availableParallelism(), 'cores');

const index = new AdvisoryIndex();
for (const source of SOURCES) {
  const started = performance.now();
  let records = 0;
  await readAdvisories(source, {
    record: (record, origin) => {
      records++;
      index.add(record, origin);
    },
    problem: () => {},
  });
  const seconds = (performance.now() - started) / 1000;
  figure(`advisories loaded per second, ${basename(source)} (${records} records)`, records / seconds, 'records/s');
}

for (const { file, args } of INVENTORIES) {
  const distro = args[1] === 'alpine:3.16' ? 'Alpine:v3.16' : null;
  const sources = await collectInventories([`${FIXTURES}${file}`], { distro });
  const packages = sources.reduce((n, s) => n + s.packages.length, 0);
  const times: number[] = [];
  for (let round = 0; round < MATCH_ROUNDS; round++) {
    const started = performance.now();
    matchSources(sources, index);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  figure(`match median, ${basename(file)} (${packages} packages)`, quantile(times, 0.5), 'ms');
  figure(`match p99, ${basename(file)} (${packages} packages)`, quantile(times, 0.99), 'ms');
}
figure('peak memory, this process (all fixture advisories loaded)', process.resourceUsage().maxRSS / 1024, 'MB');

// The child reports its own peak resident memory on exit, into a file we name.
const scratch = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
const rssFile = join(scratch, 'rss');
const reportRss = `data:text/javascript,import{writeFileSync}from"node:fs";process.on("exit",()=>writeFileSync(process.env.BENCH_RSS_FILE,String(process.resourceUsage().maxRSS)))`;
let peak = 0;
for (const { file, args } of INVENTORIES) {
  const times: number[] = [];
  for (let round = 0; round < SCAN_ROUNDS; round++) {
    const started = performance.now();
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        reportRss,
        VIGIL,
        'scan',
        `${FIXTURES}${file}`,
        '--format',
        'json',
        ...args,
        ...SOURCES.flatMap((s) => ['--advisories', s]),
      ],
      { env: { ...process.env, BENCH_RSS_FILE: rssFile }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 },
    );
    times.push(performance.now() - started);
    if (run.status !== 0) throw new Error(`vigil scan ${file} exited ${run.status}: ${run.stderr}`);
    peak = Math.max(peak, Number(readFileSync(rssFile, 'utf8')) / 1024);
  }
  times.sort((a, b) => a - b);
  figure(`vigil scan wall time from process start, ${basename(file)}`, quantile(times, 0.5) / 1000, 's');
}
figure('peak memory, vigil scan processes', peak, 'MB');
rmSync(scratch, { recursive: true, force: true });
