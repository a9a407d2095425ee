import { type Host, hostSchema } from '@vigil/protocol';
import type { HostDraft } from './context.ts';
import { nodeArch } from './os.ts';

const FALLBACK = {
  hostname: 'unknown',
  kernel: null,
  os: null,
  packagesUpdatedAt: null,
  rebootRequired: null,
} as const;

/**
 * The host section, field by field checked against the protocol: a value read from a hostile or
 * broken file (a control character in PRETTY_NAME, an Architecture field of 100 characters, a
 * file time past year 9999) falls back to "unknown" for that field alone, instead of making the
 * whole inventory unsendable.
 */
export function finishHost(draft: HostDraft): { host: Host; problems: string[] } {
  const problems: string[] = [];
  const shape = hostSchema.shape;
  const pick = <K extends keyof typeof FALLBACK>(key: K, value: unknown): Host[K] => {
    const parsed = shape[key].safeParse(value);
    if (parsed.success) return parsed.data as Host[K];
    problems.push(`host.${key} not reportable`);
    return FALLBACK[key] as Host[K];
  };
  const arch = shape.arch.safeParse(draft.arch);
  if (draft.arch !== null && !arch.success) problems.push('host.arch not reportable');
  const machineId = shape.machineId.safeParse(draft.machineId);
  return {
    host: {
      hostname: pick('hostname', draft.hostname ?? FALLBACK.hostname),
      ...(draft.machineId && machineId.success && machineId.data ? { machineId: machineId.data } : {}),
      arch: arch.success ? arch.data : nodeArch(),
      kernel: pick('kernel', draft.kernel),
      os: pick('os', draft.os),
      packagesUpdatedAt: pick('packagesUpdatedAt', draft.packagesUpdatedAt),
      rebootRequired: pick('rebootRequired', draft.rebootRequired),
    },
    problems,
  };
}
