import { describe, expect, it } from 'vitest';
import { epssBand, type PriorityInput, priorityOf } from './priority.ts';

const base: PriorityInput = { severity: 'MEDIUM', kevDueDate: null, epss: null, foundOn: '2026-11-22' };

describe('priorityOf', () => {
  it('known exploited comes first and takes the KEV due date', () => {
    const p = priorityOf({ ...base, severity: 'LOW', kevDueDate: '2025-09-15', epss: 0.001 });
    expect(p).toEqual({ label: 'P1', rank: 1002, epssBand: 0, dueDate: '2025-09-15', dueBy: 'kev' });
  });

  it('then the EPSS band, then severity', () => {
    const likelyLow = priorityOf({ ...base, severity: 'LOW', epss: 0.6 });
    const critical = priorityOf({ ...base, severity: 'CRITICAL', epss: 0.001 });
    const exploited = priorityOf({ ...base, severity: 'LOW', kevDueDate: '2026-12-01' });
    expect(likelyLow.label).toBe('P2');
    expect(critical.label).toBe('P3');
    expect([critical, exploited, likelyLow].sort((a, b) => b.rank - a.rank).map((p) => p.label)).toEqual(['P1', 'P2', 'P3']);
    expect(priorityOf({ ...base, severity: 'HIGH', epss: 0.2 }).rank).toBeGreaterThan(
      priorityOf({ ...base, severity: 'LOW', epss: 0.2 }).rank,
    );
    expect(priorityOf({ ...base, severity: 'LOW', epss: 0.02 }).label).toBe('P3');
    expect(priorityOf({ ...base, severity: 'MEDIUM' }).label).toBe('P4');
  });

  it('due dates follow the SLA per severity (defaults 7/30/90/180 days), organisation settings override', () => {
    const due = (severity: PriorityInput['severity']) => priorityOf({ ...base, severity }).dueDate;
    expect(due('CRITICAL')).toBe('2026-11-29');
    expect(due('HIGH')).toBe('2026-12-22');
    expect(due('MEDIUM')).toBe('2027-02-20');
    expect(due('UNKNOWN')).toBe('2027-02-20');
    expect(due('LOW')).toBe('2027-05-21');
    expect(due('NEGLIGIBLE')).toBe('2027-05-21');
    expect(priorityOf({ ...base, severity: 'CRITICAL' }, { critical: 2, high: 10, medium: 20, low: 40 }).dueDate).toBe('2026-11-24');
  });

  it('EPSS bands', () => {
    expect([null, Number.NaN, 0, 0.0099, 0.01, 0.099, 0.1, 0.49, 0.5, 1].map(epssBand)).toEqual([0, 0, 0, 0, 1, 1, 2, 2, 3, 3]);
  });

  it('refuses a found-on day that is not a day', () => {
    expect(() => priorityOf({ ...base, foundOn: 'yesterday' })).toThrow(RangeError);
  });
});
