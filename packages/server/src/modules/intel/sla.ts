import { DEFAULT_SLA_DAYS, type SlaDays } from '@vigil/vulndb';
import { z } from 'zod';

const days = z.number().int().min(1).max(3650);

/**
 * An organization's remediation SLA, in `organizations.settings.slaDays`: days to fix a finding
 * of each severity when it is not in KEV (KEV findings are due on KEV's date). Any severity left
 * out takes the default (critical 7, high 30, medium 90, low 180).
 */
export const SlaSettingsSchema = z
  .object({ critical: days, high: days, medium: days, low: days })
  .partial()
  .strict()
  .refine((sla) => {
    const full = { ...DEFAULT_SLA_DAYS, ...sla };
    return full.critical <= full.high && full.high <= full.medium && full.medium <= full.low;
  }, 'a more severe finding cannot have a longer SLA than a less severe one');

/** The SLA an organization's settings give; stored settings that no longer validate fall back to the defaults. */
export function slaDaysFrom(settings: unknown): SlaDays {
  const stored = (settings as { slaDays?: unknown } | null)?.slaDays;
  const parsed = SlaSettingsSchema.safeParse(stored ?? {});
  return parsed.success ? { ...DEFAULT_SLA_DAYS, ...parsed.data } : { ...DEFAULT_SLA_DAYS };
}
