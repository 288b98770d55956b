/**
 * GET /v1/usage?from=YYYY-MM-DD&to=YYYY-MM-DD&groupBy=day|country|status: a tenant's accepted
 * messages, segments and spend, from its usage items (core/domain/usage.ts). The figures are the
 * API's counts at acceptance, so they equal what was accepted; by status, each message counts
 * under the final status it reached, or under PENDING while it is not final yet.
 */
import type { FieldProblem } from '../domain/submission';
import { FINAL_STATUSES, STATUSES } from '../domain/message';
import { fromMicros } from '../domain/prices';
import { addFigures, ZERO, type UsageDay, type UsageFigures } from '../domain/usage';

export const USAGE_GROUPS = ['day', 'country', 'status'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

/** The longest range one request reads: a year and a day (a leap year). */
export const MAX_USAGE_DAYS = 366;

/** The row of the messages not final yet in groupBy=status. */
export const PENDING = 'PENDING';

/** What GET /v1/usage reads. */
export interface UsageReader {
  days(tenantId: string, from: string, to: string): Promise<UsageDay[]>;
}

export interface UsageQuery {
  from: string;
  to: string;
  groupBy: UsageGroup;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

function isDay(value: string): boolean {
  if (!DAY.test(value)) return false;
  const at = Date.parse(`${value}T00:00:00Z`);
  // Date.parse takes 2026-02-30 for 2026-03-02: a real day reads back the same.
  return !Number.isNaN(at) && new Date(at).toISOString().slice(0, 10) === value;
}

/**
 * The query, or the problems of its fields. Unset, `to` is today (UTC), `from` the first day of
 * `to`'s month and `groupBy` day.
 */
export function parseUsageQuery(query: Record<string, string | undefined>, now: Date): { ok: true; value: UsageQuery } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const to = query.to ?? now.toISOString().slice(0, 10);
  const from = query.from ?? `${to.slice(0, 7)}-01`;
  // A default `from` taken from an invalid `to` is not the client's fault: only `to` is named.
  if (!isDay(from) && (query.from !== undefined || isDay(to))) problems.push({ field: 'from', problem: 'must be a date YYYY-MM-DD' });
  if (!isDay(to)) problems.push({ field: 'to', problem: 'must be a date YYYY-MM-DD' });
  const groupBy = query.groupBy ?? 'day';
  if (!(USAGE_GROUPS as readonly string[]).includes(groupBy)) problems.push({ field: 'groupBy', problem: `must be one of ${USAGE_GROUPS.join(', ')}` });
  if (problems.length === 0) {
    const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
    if (days < 1) problems.push({ field: 'from', problem: `must not be after to (${to})` });
    else if (days > MAX_USAGE_DAYS) problems.push({ field: 'to', problem: `the range is at most ${MAX_USAGE_DAYS} days, got ${days}` });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { from, to, groupBy: groupBy as UsageGroup } };
}

/** A row's figures as the API shows them: spend in currency units. */
function shown(f: UsageFigures) {
  return { messages: f.messages, segments: f.segments, spend: fromMicros(f.spendMicros) };
}

/** The answer of GET /v1/usage for the days read. */
export function usageReport(query: UsageQuery, days: readonly UsageDay[], currency: string | undefined) {
  const total = days.reduce((sum, d) => addFigures(sum, d.total), ZERO);
  return {
    from: query.from,
    to: query.to,
    groupBy: query.groupBy,
    ...(currency !== undefined ? { currency } : {}),
    rows: rowsOf(query.groupBy, days, total),
    total: shown(total),
  };
}

function rowsOf(groupBy: UsageGroup, days: readonly UsageDay[], total: UsageFigures) {
  if (groupBy === 'day') return [...days].sort((a, b) => a.day.localeCompare(b.day)).filter((d) => d.total.messages !== 0).map((d) => ({ day: d.day, ...shown(d.total) }));
  if (groupBy === 'country') {
    const byCountry = sumBy(days.map((d) => d.byCountry));
    return [...byCountry].sort(([a], [b]) => a.localeCompare(b)).map(([country, f]) => ({ country, ...shown(f) }));
  }
  const byStatus = sumBy(days.map((d) => d.byFinalStatus));
  const finals = STATUSES.filter((s) => FINAL_STATUSES.has(s) && (byStatus.get(s)?.messages ?? 0) !== 0).map((status) => ({ status, figures: byStatus.get(status)! }));
  const final = finals.reduce((sum, r) => addFigures(sum, r.figures), ZERO);
  const pending = { messages: total.messages - final.messages, segments: total.segments - final.segments, spendMicros: total.spendMicros - final.spendMicros };
  return [...finals.map((r) => ({ status: r.status, ...shown(r.figures) })), ...(pending.messages !== 0 ? [{ status: PENDING, ...shown(pending) }] : [])];
}

function sumBy(groups: readonly Partial<Record<string, UsageFigures>>[]): Map<string, UsageFigures> {
  const out = new Map<string, UsageFigures>();
  for (const g of groups) for (const [key, f] of Object.entries(g)) if (f && f.messages !== 0) out.set(key, addFigures(out.get(key) ?? ZERO, f));
  return out;
}
