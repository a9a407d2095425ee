import { stat } from 'node:fs/promises';
import {
  type CollectorReport,
  type ConfigFact,
  configFactSchema,
  INVENTORY_SCHEMA,
  type Inventory,
  type InventoryPackage,
  inventoryPackageSchema,
  type ListeningService,
  listeningServiceSchema,
  PROTOCOL_LIMITS,
  type WordPressInstall,
  wordpressInstallSchema,
} from '@vigil/protocol';
import type { z } from 'zod';
import { accountsCollector } from './accounts.ts';
import { apkCollector } from './apk.ts';
import { type CollectContext, type Collector, type CollectorOutput, describeError } from './context.ts';
import { dpkgCollector } from './dpkg.ts';
import { firewallCollector } from './firewall.ts';
import { finishHost } from './host.ts';
import { lockfilesCollector } from './lockfiles.ts';
import { networkCollector } from './network.ts';
import { osCollector } from './os.ts';
import { packageAgeCollector } from './package-age.ts';
import { rebootCollector } from './reboot.ts';
import { rpmCollector } from './rpm.ts';
import { type RunCommand, runCommand } from './run-command.ts';
import { sshdCollector } from './sshd.ts';
import { updatesCollector } from './updates.ts';
import { wordpressCollector } from './wordpress.ts';
import { worldWritableCollector } from './world-writable.ts';

export type { Collector, CollectorOutput } from './context.ts';
export type { CommandResult, RunCommand } from './run-command.ts';

/** In order: os first (the package collectors read its answer), then packages, then checks that use both. */
export const COLLECTORS: readonly Collector[] = [
  osCollector,
  dpkgCollector,
  apkCollector,
  rpmCollector,
  lockfilesCollector,
  wordpressCollector,
  sshdCollector,
  firewallCollector,
  updatesCollector,
  rebootCollector,
  accountsCollector,
  worldWritableCollector,
  networkCollector,
  packageAgeCollector,
];

export interface CollectOptions {
  /** The directory standing for the machine's `/` ('/' on a real machine). */
  root: string;
  agentVersion: string;
  /** Directories (as the machine names them) walked for lockfiles. */
  lockfilePaths?: string[];
  /** Directories (as the machine names them) searched for WordPress installs. */
  webRoots?: string[];
  now?: Date;
  /** How programs (rpm) are run; the default runs them with execFile, no shell. */
  runCommand?: RunCommand;
  /** How long one collector may take before it is reported as timed out (default COLLECTOR_TIMEOUT_MS). */
  collectorTimeoutMs?: number;
}

/**
 * One collector's time limit. A file system that stops answering (a hung NFS or FUSE mount under a
 * web root) must not stop the whole inventory: the collector is reported as an error and the rest
 * is still sent. Its promise cannot be cancelled; what it returns late is ignored.
 */
export const COLLECTOR_TIMEOUT_MS = 60_000;

class CollectorTimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${Math.round(ms / 1000)} s; not reported this time`);
    this.name = 'CollectorTimeoutError';
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CollectorTimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Keeps the items the protocol accepts; counts the others so the report can say so. */
function valid<S extends z.ZodType>(schema: S, items: readonly unknown[], limit: number): { kept: z.infer<S>[]; dropped: number } {
  const kept: z.infer<S>[] = [];
  let dropped = 0;
  for (const item of items) {
    const parsed = schema.safeParse(item);
    if (parsed.success && kept.length < limit) kept.push(parsed.data);
    else dropped++;
  }
  return { kept, dropped };
}

/**
 * Everything the agent reports about the machine under `root`. Each collector runs on its own:
 * one that throws is reported with status 'error' and its message, and the others still run.
 * Items the protocol would refuse (a control character in a name, an over-long version) are
 * left out and counted in their collector's message, so one hostile file cannot make the whole
 * inventory unsendable.
 */
export async function collectInventory(options: CollectOptions): Promise<Inventory> {
  // A missing root is the caller's mistake, not fourteen collector errors.
  const rootStats = await stat(options.root).catch(() => null);
  if (!rootStats?.isDirectory()) throw new Error(`collect root ${options.root} is not a directory`);
  const ctx = createCollectContext(options);
  const now = ctx.now;
  const packages: InventoryPackage[] = [];
  const wordpress: WordPressInstall[] = [];
  const facts = new Map<string, ConfigFact>();
  const services: ListeningService[] = [];
  const collectors: CollectorReport[] = [];

  for (const collector of COLLECTORS) {
    const started = performance.now();
    let output: CollectorOutput;
    try {
      output = await withTimeout(collector.run(ctx), options.collectorTimeoutMs ?? COLLECTOR_TIMEOUT_MS);
    } catch (error) {
      collectors.push({
        name: collector.name,
        status: 'error',
        message: describeError(error).slice(0, 2_000),
        items: 0,
        durationMs: elapsed(started),
      });
      continue;
    }
    const notes = output.message ? [output.message] : [];
    const p = valid(inventoryPackageSchema, output.packages ?? [], PROTOCOL_LIMITS.packages - packages.length);
    const w = valid(wordpressInstallSchema, output.wordpress ?? [], PROTOCOL_LIMITS.wordpressInstalls - wordpress.length);
    const f = valid(configFactSchema, output.facts ?? [], PROTOCOL_LIMITS.configFacts - facts.size);
    const s = valid(listeningServiceSchema, output.services ?? [], PROTOCOL_LIMITS.services - services.length);
    packages.push(...p.kept);
    wordpress.push(...w.kept);
    services.push(...s.kept);
    // One fact per (id, subject): the server keys findings by it.
    for (const fact of f.kept) {
      const key = `${fact.id}\u0000${fact.subject ?? ''}`;
      if (!facts.has(key)) facts.set(key, fact);
    }
    const dropped = p.dropped + w.dropped + f.dropped + s.dropped;
    if (dropped > 0) notes.push(`${dropped} item(s) left out: unreadable or over the protocol's limits`);
    const items = output.items ?? p.kept.length + w.kept.length + f.kept.length + s.kept.length;
    const message = notes.join('; ').slice(0, 2_000);
    collectors.push({
      name: collector.name,
      status: output.status ?? 'ok',
      ...(message ? { message } : {}),
      items,
      durationMs: elapsed(started),
    });
  }

  const { host, problems } = finishHost(ctx.host);
  if (problems.length > 0) {
    const os = collectors.find((c) => c.name === 'os');
    if (os) os.message = [os.message, ...problems].filter(Boolean).join('; ').slice(0, 2_000);
  }
  return {
    schema: INVENTORY_SCHEMA,
    collectedAt: now.toISOString(),
    agentVersion: options.agentVersion,
    host,
    packages,
    wordpress,
    configFacts: [...facts.values()],
    services,
    collectors,
  };
}

/** The state collectors share, before any has run (exported so each collector can be run alone). */
export function createCollectContext(options: Omit<CollectOptions, 'agentVersion'>): CollectContext {
  return {
    root: options.root,
    live: options.root === '/',
    now: options.now ?? new Date(),
    lockfilePaths: options.lockfilePaths ?? [],
    webRoots: options.webRoots ?? [],
    runCommand: options.runCommand ?? runCommand,
    host: { hostname: null, arch: null, kernel: null, os: null, packagesUpdatedAt: null, rebootRequired: null },
    osPackageNames: new Set(),
  };
}

function elapsed(started: number): number {
  return Math.max(0, Math.round((performance.now() - started) * 10) / 10);
}
