import { priorityOf } from '@vigil/vulndb';
import { describe, expect, it } from 'vitest';
import { SlaSettingsSchema, slaDaysFrom } from './sla.ts';

describe('organization SLA settings', () => {
  it('defaults to critical 7, high 30, medium 90, low 180 days', () => {
    expect(slaDaysFrom({})).toEqual({ critical: 7, high: 30, medium: 90, low: 180 });
    expect(slaDaysFrom(null)).toEqual({ critical: 7, high: 30, medium: 90, low: 180 });
  });

  it('takes an organization’s own days, the rest from the defaults, and they set the due date', () => {
    const sla = slaDaysFrom({ slaDays: { critical: 2, high: 14 } });
    expect(sla).toEqual({ critical: 2, high: 14, medium: 90, low: 180 });
    const due = priorityOf({ severity: 'CRITICAL', kevDueDate: null, epss: null, foundOn: '2026-11-22' }, sla);
    expect(due).toMatchObject({ dueDate: '2026-11-24', dueBy: 'sla' });
    const kev = priorityOf({ severity: 'LOW', kevDueDate: '2026-12-01', epss: 0.2, foundOn: '2026-11-22' }, sla);
    expect(kev).toMatchObject({ label: 'P1', dueDate: '2026-12-01', dueBy: 'kev' });
  });

  it('refuses days that are not whole, out of range, unknown keys, or a severe finding given longer than a milder one', () => {
    for (const bad of [{ critical: 0 }, { high: 2.5 }, { low: 5000 }, { urgent: 3 }, { critical: 40 }, { medium: 200 }]) {
      expect(SlaSettingsSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(slaDaysFrom({ slaDays: { critical: 'soon' } })).toEqual({ critical: 7, high: 30, medium: 90, low: 180 });
  });
});
