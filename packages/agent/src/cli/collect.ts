import { inventorySchema } from '@vigil/protocol';
import { collectWithCollectors } from '../run/collector.ts';
import { loadConfig } from '../state/enrollment.ts';
import { DIR_OPTIONS, parseCommandArgs, resolvePaths } from './common-options.ts';
import { CliError } from './exit-codes.ts';
import type { CliIo } from './io.ts';

const OPTIONS = {
  ...DIR_OPTIONS,
  root: { type: 'string', default: '/' },
  pretty: { type: 'boolean' },
  'lockfile-path': { type: 'string', multiple: true },
  'web-root': { type: 'string', multiple: true },
} as const;

/**
 * `collect`: prints exactly the inventory `run` would send, so an operator can see what leaves
 * the machine. Lockfile paths and web roots default to the enrolled configuration's.
 */
export async function collectCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs('collect', args, OPTIONS);
  const paths = resolvePaths(values, io);
  const configured = await loadConfig(paths).catch(() => null);
  const inventory = await (io.collect ?? collectWithCollectors)({
    root: values.root,
    lockfilePaths: values['lockfile-path']?.length ? values['lockfile-path'] : configured?.lockfilePaths,
    webRoots: values['web-root']?.length ? values['web-root'] : configured?.webRoots,
  });
  // The same check the client makes before sending: what is printed is what would be accepted.
  const parsed = inventorySchema.safeParse(inventory);
  if (!parsed.success) throw new CliError(`collect: the collected inventory is not valid: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  io.stdout.write(`${JSON.stringify(parsed.data, null, values.pretty ? 2 : undefined)}\n`);
  return 0;
}
