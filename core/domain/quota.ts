/**
 * Quota arithmetic (README#prices-quotas-and-usage): which of a request's messages fit under a
 * tenant's caps, which cap refuses the rest, and when that cap starts again. Pure: the usage
 * counter (core/aws/usage-counter.ts) makes the conditional writes and calls this with what it read.
 *
 * A cap is inclusive: segmentsPerDay 100 accepts the message that makes the day's total 100 and
 * refuses the one that would make it 101. Of a batch, the longest prefix that fits is accepted
 * (in the batch's order); the first message that does not fit and every one after it are refused,
 * so a later, shorter message never overtakes an earlier one.
 */
import type { QuotaConfig } from '../config/schema';
import { fromMicros } from './prices';

export const QUOTA_NAMES = ['segmentsPerDay', 'segmentsPerMonth', 'spendPerMonth'] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];

/** What accepting one message adds to its tenant's usage. */
export interface Charge {
  segments: number;
  /** Its price in micros; 0 without a price table. */
  spendMicros: number;
  /** ISO country of the destination; UNKNOWN_COUNTRY when the number has none. */
  country?: string;
}

/** The country key of usage figures for a destination without a country (ISO 3166 user-assigned "ZZ"). */
export const UNKNOWN_COUNTRY = 'ZZ';

/** A tenant's caps, spend in micros. */
export interface Caps {
  segmentsPerDay?: number;
  segmentsPerMonth?: number;
  spendPerMonthMicros?: number;
}

/** The figures the caps are compared with: the day's segments, the month's segments and spend. */
export interface UsedFigures {
  daySegments: number;
  monthSegments: number;
  monthSpendMicros: number;
}

export const NOTHING_USED: UsedFigures = { daySegments: 0, monthSegments: 0, monthSpendMicros: 0 };

/** Why messages were refused: the cap, its limit and what was used before them (spend in currency units), and when it resets. */
export interface QuotaRefusal {
  quota: QuotaName;
  limit: number;
  used: number;
  resetsAt: string;
  retryAfterSeconds: number;
}

export function capsOf(quota: QuotaConfig | undefined): Caps {
  return {
    ...(quota?.segmentsPerDay !== undefined ? { segmentsPerDay: quota.segmentsPerDay } : {}),
    ...(quota?.segmentsPerMonth !== undefined ? { segmentsPerMonth: quota.segmentsPerMonth } : {}),
    // A cap in whole micros: at most the configured amount, never a millionth more.
    ...(quota?.spendPerMonth !== undefined ? { spendPerMonthMicros: Math.floor(quota.spendPerMonth * 1e6 + 1e-6) } : {}),
  };
}

export function hasCaps(caps: Caps): boolean {
  return caps.segmentsPerDay !== undefined || hasMonthCaps(caps);
}

export function hasMonthCaps(caps: Caps): boolean {
  return caps.segmentsPerMonth !== undefined || caps.spendPerMonthMicros !== undefined;
}

/** The UTC day (yyyy-mm-dd) and month (yyyy-mm) a time falls in: the periods of the usage items. */
export function periodsOf(now: Date): { day: string; month: string } {
  const day = now.toISOString().slice(0, 10);
  return { day, month: day.slice(0, 7) };
}

/** When a cap starts again: the next UTC midnight for the day's cap, the next month's first day for the month's. */
export function resetOf(quota: QuotaName, now: Date): Date {
  if (quota === 'segmentsPerDay') return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

export function refusalOf(quota: QuotaName, limit: number, used: number, now: Date): QuotaRefusal {
  const resetsAt = resetOf(quota, now);
  return { quota, limit, used, resetsAt: resetsAt.toISOString(), retryAfterSeconds: Math.max(1, Math.ceil((resetsAt.getTime() - now.getTime()) / 1000)) };
}

/**
 * How many of the charges, from the first, fit under the caps on top of `used`; and, when not all
 * do, the cap the first one left out would pass (the day's cap first, then the month's segments, then spend).
 */
export function fittingPrefix(charges: readonly Charge[], used: UsedFigures, caps: Caps, now: Date): { count: number; refusal?: QuotaRefusal } {
  let { daySegments, monthSegments, monthSpendMicros } = used;
  for (let i = 0; i < charges.length; i++) {
    const c = charges[i]!;
    const over = overCap(caps, { daySegments: daySegments + c.segments, monthSegments: monthSegments + c.segments, monthSpendMicros: monthSpendMicros + c.spendMicros });
    if (over === 'segmentsPerDay') return { count: i, refusal: refusalOf(over, caps.segmentsPerDay!, daySegments, now) };
    if (over === 'segmentsPerMonth') return { count: i, refusal: refusalOf(over, caps.segmentsPerMonth!, monthSegments, now) };
    if (over === 'spendPerMonth') return { count: i, refusal: refusalOf(over, fromMicros(caps.spendPerMonthMicros!), fromMicros(monthSpendMicros), now) };
    daySegments += c.segments;
    monthSegments += c.segments;
    monthSpendMicros += c.spendMicros;
  }
  return { count: charges.length };
}

function overCap(caps: Caps, after: UsedFigures): QuotaName | undefined {
  if (caps.segmentsPerDay !== undefined && after.daySegments > caps.segmentsPerDay) return 'segmentsPerDay';
  if (caps.segmentsPerMonth !== undefined && after.monthSegments > caps.segmentsPerMonth) return 'segmentsPerMonth';
  if (caps.spendPerMonthMicros !== undefined && after.monthSpendMicros > caps.spendPerMonthMicros) return 'spendPerMonth';
  return undefined;
}

/** Messages, segments and spend of some charges: in all, and by country. */
export interface ChargeTotals {
  messages: number;
  segments: number;
  spendMicros: number;
  byCountry: Map<string, { messages: number; segments: number; spendMicros: number }>;
}

export function totalsOf(charges: readonly Charge[]): ChargeTotals {
  const totals: ChargeTotals = { messages: 0, segments: 0, spendMicros: 0, byCountry: new Map() };
  for (const c of charges) {
    totals.messages++;
    totals.segments += c.segments;
    totals.spendMicros += c.spendMicros;
    const key = c.country ?? UNKNOWN_COUNTRY;
    const country = totals.byCountry.get(key) ?? { messages: 0, segments: 0, spendMicros: 0 };
    country.messages++;
    country.segments += c.segments;
    country.spendMicros += c.spendMicros;
    totals.byCountry.set(key, country);
  }
  return totals;
}

/** Percent of each configured cap that `used` takes: the QuotaUsed metric. */
export function percentUsed(caps: Caps, used: UsedFigures): { quota: QuotaName; percent: number }[] {
  const out: { quota: QuotaName; percent: number }[] = [];
  if (caps.segmentsPerDay !== undefined) out.push({ quota: 'segmentsPerDay', percent: (100 * used.daySegments) / caps.segmentsPerDay });
  if (caps.segmentsPerMonth !== undefined) out.push({ quota: 'segmentsPerMonth', percent: (100 * used.monthSegments) / caps.segmentsPerMonth });
  if (caps.spendPerMonthMicros !== undefined) out.push({ quota: 'spendPerMonth', percent: (100 * used.monthSpendMicros) / caps.spendPerMonthMicros });
  return out;
}

