import { describe, expect, it } from 'vitest';
import { chargeQuota, refundQuota } from '../../core/api/quota-step';
import { capsOf, fittingPrefix, NOTHING_USED, percentUsed, periodsOf, resetOf, totalsOf, type Charge } from '../../core/domain/quota';
import { InMemoryUsageCounter } from '../support/factories';

const NOW = new Date('2026-12-31T23:59:30.000Z');
const one = (segments = 1, spendMicros = 0, country = 'GB'): Charge => ({ segments, spendMicros, country });

describe('caps at their edges', () => {
  it('accepts the message that makes the day’s segments equal the cap, and refuses the next one', () => {
    const caps = capsOf({ segmentsPerDay: 10 });
    expect(fittingPrefix([one(2)], { ...NOTHING_USED, daySegments: 8 }, caps, NOW).count).toBe(1);
    const refused = fittingPrefix([one(1)], { ...NOTHING_USED, daySegments: 10 }, caps, NOW);
    expect(refused.count).toBe(0);
    expect(refused.refusal).toMatchObject({ quota: 'segmentsPerDay', limit: 10, used: 10, resetsAt: '2027-01-01T00:00:00.000Z', retryAfterSeconds: 30 });
  });

  it('refuses a message longer than the whole cap, even on an unused day', () => {
    expect(fittingPrefix([one(3)], NOTHING_USED, capsOf({ segmentsPerDay: 2 }), NOW)).toMatchObject({ count: 0, refusal: { quota: 'segmentsPerDay', used: 0 } });
  });

  it('accepts the longest prefix of a batch that fits: a later, shorter message does not overtake', () => {
    const fit = fittingPrefix([one(2), one(2), one(3), one(1)], { ...NOTHING_USED, monthSegments: 3 }, capsOf({ segmentsPerMonth: 9 }), NOW);
    expect(fit.count).toBe(2);
    expect(fit.refusal).toMatchObject({ quota: 'segmentsPerMonth', limit: 9, used: 7, resetsAt: '2027-01-01T00:00:00.000Z' });
  });

  it('compares spend in exact micros: a cap of 0.3 takes three messages of 0.1', () => {
    const caps = capsOf({ spendPerMonth: 0.3 });
    expect(caps.spendPerMonthMicros).toBe(300_000);
    const fit = fittingPrefix([one(1, 100_000), one(1, 100_000), one(1, 100_000), one(1, 100_000)], NOTHING_USED, caps, NOW);
    expect(fit.count).toBe(3);
    expect(fit.refusal).toMatchObject({ quota: 'spendPerMonth', limit: 0.3, used: 0.3 });
  });

  it('has no cap without a quota: everything fits', () => {
    expect(fittingPrefix([one(1000)], { daySegments: 1e9, monthSegments: 1e9, monthSpendMicros: 1e12 }, capsOf(undefined), NOW)).toEqual({ count: 1 });
  });

  it('resets the day’s cap at the next UTC midnight and the month’s on the first of the next month', () => {
    const mid = new Date('2026-02-28T13:00:00.000Z');
    expect(resetOf('segmentsPerDay', mid).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(resetOf('segmentsPerMonth', mid).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(resetOf('spendPerMonth', new Date('2026-12-01T00:00:00.000Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(periodsOf(NOW)).toEqual({ day: '2026-12-31', month: '2026-12' });
  });

  it('reports the percent of each configured cap used', () => {
    expect(percentUsed(capsOf({ segmentsPerDay: 200, spendPerMonth: 10 }), { daySegments: 160, monthSegments: 5, monthSpendMicros: 2_500_000 })).toEqual([
      { quota: 'segmentsPerDay', percent: 80 },
      { quota: 'spendPerMonth', percent: 25 },
    ]);
  });

  it('sums a batch by country, a destination without one under ZZ', () => {
    const totals = totalsOf([one(1, 40_000, 'GB'), one(2, 100_000, 'DE'), one(1, 40_000, 'GB'), { segments: 1, spendMicros: 0 }]);
    expect(totals).toMatchObject({ messages: 4, segments: 5, spendMicros: 180_000 });
    expect(Object.fromEntries(totals.byCountry)).toEqual({
      GB: { messages: 2, segments: 2, spendMicros: 80_000 },
      DE: { messages: 1, segments: 2, spendMicros: 100_000 },
      ZZ: { messages: 1, segments: 1, spendMicros: 0 },
    });
  });
});

describe('chargeQuota', () => {
  it('counts nothing for a tenant without caps and accepts every message: the outbox counts them once stored', async () => {
    const usage = new InMemoryUsageCounter();
    const charge = await chargeQuota(usage, 'acme', capsOf(undefined), [one(2, 80_000), one(1)], NOW);
    expect(charge).toMatchObject({ accepted: 2, counted: false });
    await refundQuota(usage, 'acme', charge, [one(1)]);
    expect([usage.adds, usage.reads]).toEqual([0, 0]);
  });

  it('counts a tenant with a daily cap with one ADD on the day item, the figures by country too, and no read', async () => {
    const usage = new InMemoryUsageCounter();
    const charge = await chargeQuota(usage, 'acme', capsOf({ segmentsPerDay: 10 }), [one(2, 80_000)], NOW);
    expect(charge).toMatchObject({ accepted: 1, month: false, counted: true });
    expect([usage.adds, usage.reads]).toEqual([1, 0]);
    expect(usage.day('acme', '2026-12-31')).toMatchObject({ total: { messages: 1, segments: 2, spendMicros: 80_000 }, byCountry: { GB: { messages: 1, segments: 2, spendMicros: 80_000 } } });
  });

  it('counts the day and the month item for a tenant with a monthly cap', async () => {
    const usage = new InMemoryUsageCounter();
    const charge = await chargeQuota(usage, 'acme', capsOf({ segmentsPerMonth: 100 }), [one(3)], NOW);
    expect(charge).toMatchObject({ accepted: 1, month: true, used: { daySegments: 3, monthSegments: 3 } });
    expect(usage.adds).toBe(2);
  });

  it('after a refused ADD, reads the figures and counts the messages that still fit, exactly up to the cap', async () => {
    const usage = new InMemoryUsageCounter();
    const caps = capsOf({ segmentsPerDay: 5 });
    await chargeQuota(usage, 'acme', caps, [one(2)], NOW);
    const charge = await chargeQuota(usage, 'acme', caps, [one(1), one(2), one(1)], NOW);
    expect(charge).toMatchObject({ accepted: 2, refusal: { quota: 'segmentsPerDay', limit: 5, used: 5 } });
    expect(usage.reads).toBe(1);
    expect(usage.day('acme', '2026-12-31').total).toEqual({ messages: 3, segments: 5, spendMicros: 0 });
  });

  it('gives back the day’s count when the month’s cap refuses, so only what fits both is counted', async () => {
    const usage = new InMemoryUsageCounter();
    const caps = capsOf({ segmentsPerDay: 100, spendPerMonth: 0.1 });
    expect((await chargeQuota(usage, 'acme', caps, [one(1, 60_000), one(1, 60_000)], NOW)).accepted).toBe(1);
    expect(usage.day('acme', '2026-12-31').total).toEqual({ messages: 1, segments: 1, spendMicros: 60_000 });
    expect(await usage.read('acme', periodsOf(NOW))).toEqual({ daySegments: 1, monthSegments: 1, monthSpendMicros: 60_000 });
  });

  it('gives back what refundQuota is handed, on the day and the month it was counted in', async () => {
    const usage = new InMemoryUsageCounter();
    const caps = capsOf({ segmentsPerMonth: 10 });
    const charges = [one(2, 1, 'GB'), one(1, 1, 'DE')];
    const charge = await chargeQuota(usage, 'acme', caps, charges, NOW);
    await refundQuota(usage, 'acme', charge, charges.slice(1));
    expect(usage.day('acme', '2026-12-31')).toMatchObject({ total: { messages: 1, segments: 2, spendMicros: 1 }, byCountry: { GB: { messages: 1 }, DE: { messages: 0 } } });
    expect((await usage.read('acme', periodsOf(NOW))).monthSegments).toBe(2);
  });
});
