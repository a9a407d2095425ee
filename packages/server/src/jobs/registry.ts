import type { JobDefinition } from './job.definition.ts';

/**
 * Every job the product defines, one file each under `definitions/` (or in its module's
 * `<d>.jobs.ts`); `serve` and `worker` register exactly these. Empty until the first job lands.
 */
export const JOB_DEFINITIONS: readonly JobDefinition[] = [];
