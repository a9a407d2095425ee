import { type Severity, severityRank } from './severity.ts';

/**
 * What to fix first, and by when. The order is lexicographic, most telling evidence first:
 *
 * 1. **Known exploited** (CISA KEV): someone is using it now.
 * 2. **EPSS band**: how likely exploitation is in the next 30 days (FIRST EPSS).
 * 3. **Severity**: how bad it is if it happens.
 *
 * Labels: P1 exploited (in KEV); P2 likely (EPSS >= 0.1); P3 severe (HIGH or CRITICAL, or EPSS
 * >= 0.01); P4 the rest. `rank` sorts findings within and across labels (higher first).
 *
 * Due date: the KEV due date when the vulnerability is in KEV (a federal deadline many customers
 * are held to); otherwise the day found plus the organization's SLA for its severity. UNKNOWN
 * severity gets the MEDIUM SLA (not knowing is not evidence of low risk); NEGLIGIBLE gets LOW's.
 */
export const EPSS_BANDS = [
  { min: 0.5, band: 3 },
  { min: 0.1, band: 2 },
  { min: 0.01, band: 1 },
] as const;

export type PriorityLabel = 'P1' | 'P2' | 'P3' | 'P4';

export interface SlaDays {
  critical: number;
  high: number;
  medium: number;
  low: number;
}

export const DEFAULT_SLA_DAYS: Readonly<SlaDays> = Object.freeze({ critical: 7, high: 30, medium: 90, low: 180 });

export interface PriorityInput {
  severity: Severity;
  /** The KEV entry's due date (YYYY-MM-DD) when the vulnerability is known exploited. */
  kevDueDate: string | null;
  /** EPSS probability 0..1, null when unknown. */
  epss: number | null;
  /** The day the finding was first seen (YYYY-MM-DD, UTC). */
  foundOn: string;
}

export interface Priority {
  label: PriorityLabel;
  rank: number;
  epssBand: number;
  dueDate: string;
  /** What decided the due date, for the report. */
  dueBy: 'kev' | 'sla';
}

export function epssBand(epss: number | null): number {
  if (epss === null || !Number.isFinite(epss)) return 0;
  return EPSS_BANDS.find((b) => epss >= b.min)?.band ?? 0;
}

export function priorityOf(input: PriorityInput, sla: SlaDays = DEFAULT_SLA_DAYS): Priority {
  const kev = input.kevDueDate !== null;
  const band = epssBand(input.epss);
  const severe = input.severity === 'CRITICAL' || input.severity === 'HIGH';
  const label: PriorityLabel = kev ? 'P1' : band >= 2 ? 'P2' : severe || band === 1 ? 'P3' : 'P4';
  const rank = (kev ? 1000 : 0) + band * 100 + severityRank(input.severity);
  if (kev) return { label, rank, epssBand: band, dueDate: input.kevDueDate as string, dueBy: 'kev' };
  return { label, rank, epssBand: band, dueDate: addDays(input.foundOn, slaDaysFor(input.severity, sla)), dueBy: 'sla' };
}

export function slaDaysFor(severity: Severity, sla: SlaDays): number {
  switch (severity) {
    case 'CRITICAL':
      return sla.critical;
    case 'HIGH':
      return sla.high;
    case 'MEDIUM':
    case 'UNKNOWN':
      return sla.medium;
    default:
      return sla.low;
  }
}

function addDays(day: string, days: number): string {
  const time = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(time)) throw new RangeError(`not a day: ${JSON.stringify(day)}`);
  return new Date(time + days * 86_400_000).toISOString().slice(0, 10);
}
