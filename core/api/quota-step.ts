/**
 * The quota step of the submit path: for a tenant with caps, counts a request's messages in its
 * usage and accepts only those that fit (core/domain/quota.ts). Counting comes before the message
 * put: the conditional ADD is the cap check, so a refused message is never stored; a put that
 * fails or finds a replay gives its counts back (refundQuota). A tenant without caps is counted
 * by the outbox from the INSERTs of its messages instead (core/domain/usage.ts acceptedCountsOf),
 * a fraction of a write per message rather than one per request. README#prices-quotas-and-usage,
 * docs/design.md.
 */
import { fittingPrefix, hasCaps, hasMonthCaps, NOTHING_USED, periodsOf, totalsOf, type Caps, type Charge, type ChargeTotals, type QuotaRefusal, type UsedFigures } from '../domain/quota';

/** Room under a cap for one conditional ADD: the item's figure before the ADD must be at most this. */
export interface AddLimits {
  segments?: number;
  spendMicros?: number;
}

/** The usage items of the message table, as the quota step sees them (core/aws/usage-counter.ts). */
export interface UsageCounter {
  /**
   * Adds totals (negative ones give counts back) to the tenant's day item (with the figures by
   * country) or month item, unless the item's figures before the ADD are above `limits`; returns
   * the figures after it, or undefined when a limit refused it (nothing added).
   */
  add(tenantId: string, period: { day: string } | { month: string }, totals: ChargeTotals, limits?: AddLimits): Promise<{ segments: number; spendMicros: number } | undefined>;
  /** The figures the caps compare with, read consistently. */
  read(tenantId: string, periods: { day: string; month: string }): Promise<UsedFigures>;
}

/** What a charge counted: the first `accepted` charges, in the periods named; `refusal` for the rest. */
export interface QuotaCharge {
  accepted: number;
  refusal?: QuotaRefusal;
  periods: { day: string; month: string };
  /** Whether the month item was counted too (only for tenants with a monthly cap). */
  month: boolean;
  /** The figures after the charge, for the QuotaUsed metric (month figures only when counted). */
  used: UsedFigures;
  /** Whether the API counted the messages (the tenant has caps); if not, the outbox counts them once stored. */
  counted: boolean;
}

/** Tries before giving up under contention: each retry follows a refused ADD and a fresh read. */
const MAX_TRIES = 4;

/**
 * Without caps, counts nothing (the outbox will) and accepts every charge. With caps, counts the
 * longest prefix of `charges` that fits under `caps`, with one conditional ADD on the
 * day item and, with monthly caps, one on the month item; no read unless a cap refuses an ADD.
 * Then it gives back what it added, reads the figures, and tries the prefix that fits them.
 */
export async function chargeQuota(counter: UsageCounter, tenantId: string, caps: Caps, charges: readonly Charge[], now: Date): Promise<QuotaCharge> {
  const periods = periodsOf(now);
  const month = hasMonthCaps(caps);
  if (!hasCaps(caps)) return { accepted: charges.length, periods, month, used: NOTHING_USED, counted: false };
  let fit = fittingPrefix(charges, NOTHING_USED, caps, now);
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    if (fit.count === 0) return { accepted: 0, ...(fit.refusal ? { refusal: fit.refusal } : {}), periods, month, used: NOTHING_USED, counted: true };
    const totals = totalsOf(charges.slice(0, fit.count));
    const day = await counter.add(tenantId, { day: periods.day }, totals, roomUnder(caps.segmentsPerDay, undefined, totals));
    if (day) {
      if (!month) return charged(fit, periods, month, { ...NOTHING_USED, daySegments: day.segments });
      const m = await counter.add(tenantId, { month: periods.month }, totals, roomUnder(caps.segmentsPerMonth, caps.spendPerMonthMicros, totals));
      if (m) return charged(fit, periods, month, { daySegments: day.segments, monthSegments: m.segments, monthSpendMicros: m.spendMicros });
      await counter.add(tenantId, { day: periods.day }, negated(totals));
    }
    fit = fittingPrefix(charges, await counter.read(tenantId, periods), caps, now);
  }
  throw new Error(`tenant ${tenantId}: the usage counters changed under ${MAX_TRIES} tries in a row`);
}

/** Gives back the counts of charges that were counted but not stored (a failed put, a replay). */
export async function refundQuota(counter: UsageCounter, tenantId: string, charge: QuotaCharge, charges: readonly Charge[]): Promise<void> {
  if (charges.length === 0 || !charge.counted) return;
  const totals = negated(totalsOf(charges));
  await counter.add(tenantId, { day: charge.periods.day }, totals);
  if (charge.month) await counter.add(tenantId, { month: charge.periods.month }, totals);
}

function charged(fit: { count: number; refusal?: QuotaRefusal }, periods: QuotaCharge['periods'], month: boolean, used: UsedFigures): QuotaCharge {
  return { accepted: fit.count, ...(fit.refusal ? { refusal: fit.refusal } : {}), periods, month, used, counted: true };
}

function roomUnder(segmentsCap: number | undefined, spendCap: number | undefined, totals: ChargeTotals): AddLimits | undefined {
  if (segmentsCap === undefined && spendCap === undefined) return undefined;
  return {
    ...(segmentsCap !== undefined ? { segments: segmentsCap - totals.segments } : {}),
    ...(spendCap !== undefined ? { spendMicros: spendCap - totals.spendMicros } : {}),
  };
}

function negated(t: ChargeTotals): ChargeTotals {
  const byCountry = new Map([...t.byCountry].map(([c, v]) => [c, { messages: -v.messages, segments: -v.segments, spendMicros: -v.spendMicros }]));
  return { messages: -t.messages, segments: -t.segments, spendMicros: -t.spendMicros, byCountry };
}
