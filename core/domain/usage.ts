/**
 * The usage items' figures (README#prices-quotas-and-usage): one item per tenant and UTC day
 * (table-keys.ts usageKey) holds what the API accepted that day — `messages`, `segments`,
 * `spend` (micros) — the same by destination country as flat attributes (`GB#messages`, …),
 * and the messages of that day that reached each final status (`DELIVERED#messages`, …).
 * The API counts the accepted messages of tenants with caps (the count is the cap check); the
 * outbox counts those of the other tenants from their INSERTs, and every final status. Month items hold `messages`, `segments` and `spend` for monthly caps.
 * Pure: the attribute names and the reading of an item.
 */
import { FINAL_STATUSES, isFinal, type MessageStatus } from './message';
import { toMicros } from './prices';
import { UNKNOWN_COUNTRY } from './quota';

/** Messages, segments and spend (micros): one row of usage. */
export interface UsageFigures {
  messages: number;
  segments: number;
  spendMicros: number;
}

export const FIGURES = ['messages', 'segments', 'spend'] as const;

/** One day of a tenant's usage, as its item holds it. */
export interface UsageDay {
  day: string;
  total: UsageFigures;
  byCountry: Record<string, UsageFigures>;
  /** The day's messages in each final status they reached; the rest are not final yet. */
  byFinalStatus: Partial<Record<MessageStatus, UsageFigures>>;
}

export const ZERO: UsageFigures = { messages: 0, segments: 0, spendMicros: 0 };

/** The attribute of one figure: `segments`, or `GB#segments` for a country, `DELIVERED#segments` for a final status. */
export function figureAttribute(figure: (typeof FIGURES)[number], group?: string): string {
  return group === undefined ? figure : `${group}#${figure}`;
}

export function addFigures(a: UsageFigures, b: UsageFigures): UsageFigures {
  return { messages: a.messages + b.messages, segments: a.segments + b.segments, spendMicros: a.spendMicros + b.spendMicros };
}

/** Reads a day item (unmarshalled) into its figures; a missing figure is 0. */
export function usageDayOf(day: string, item: Record<string, unknown>): UsageDay {
  const out: UsageDay = { day, total: figuresOf(item), byCountry: {}, byFinalStatus: {} };
  for (const key of Object.keys(item)) {
    const match = /^([A-Z_]+)#messages$/.exec(key);
    if (!match) continue;
    const group = match[1]!;
    if (/^[A-Z]{2}$/.test(group)) out.byCountry[group] = figuresOf(item, group);
    else if (FINAL_STATUSES.has(group as MessageStatus)) out.byFinalStatus[group as MessageStatus] = figuresOf(item, group);
  }
  return out;
}

function figuresOf(item: Record<string, unknown>, group?: string): UsageFigures {
  const n = (figure: (typeof FIGURES)[number]) => Number(item[figureAttribute(figure, group)] ?? 0);
  return { messages: n('messages'), segments: n('segments'), spendMicros: n('spend') };
}

/** The message-record fields the status count reads from a stream image. */
interface CountedImage {
  kind?: unknown;
  tenantId?: unknown;
  status?: unknown;
  createdAt?: unknown;
  segments?: unknown;
  price?: unknown;
  country?: unknown;
  usageCounted?: unknown;
}

/**
 * One change of a tenant's day figures: a message's figures added to (+1) or taken from (-1) a
 * group: a final status (`DELIVERED`), a country (`GB`), or TOTAL.
 */
export interface StatusCount {
  tenantId: string;
  day: string;
  group: string;
  sign: 1 | -1;
  figures: UsageFigures;
}

/** The group of the day's totals (`messages`, `segments`, `spend`). */
export const TOTAL = '';

function figuresOfImage(image: CountedImage): UsageFigures {
  return { messages: 1, segments: Number(image.segments ?? 0), spendMicros: toMicros(Number(image.price ?? 0)) };
}

/**
 * What the INSERT of a message record the API did not count (`usageCounted` unset: its tenant has
 * no caps) adds: the message to the day's totals and to its country's. Only a message stored to be
 * sent (ACCEPTED, ROUTED or SCHEDULED): one stored final (opted out, not charged) is in no figure.
 * A scheduled message counts on its acceptance day, as the API charges it then.
 */
export function acceptedCountsOf(eventName: string | undefined, newImage: CountedImage | undefined): StatusCount[] {
  if (eventName !== 'INSERT' || newImage?.kind !== 'message' || newImage.usageCounted === true) return [];
  if (newImage.status !== 'ACCEPTED' && newImage.status !== 'ROUTED' && newImage.status !== 'SCHEDULED') return [];
  const base = { tenantId: String(newImage.tenantId), day: String(newImage.createdAt).slice(0, 10), sign: 1 as const, figures: figuresOfImage(newImage) };
  const country = typeof newImage.country === 'string' ? newImage.country : UNKNOWN_COUNTRY;
  return [{ ...base, group: TOTAL }, { ...base, group: country }];
}

/**
 * How a message record's change moves the status figures: a MODIFY that makes the message final
 * adds it to its final status; one out of a final status (the late submission of a CANCELED or
 * EXPIRED message, planLateSubmission) takes it out again, so each message counts once, under the
 * status it is in, or under none while it is not final. An INSERT counts nothing: a message stored
 * final (not charged, e.g. opted out) is in no usage figure at all, and one stored ACCEPTED or
 * ROUTED is not final yet. The day is the message's acceptance day, like the API's counts.
 */
export function statusCountsOf(eventName: string | undefined, oldImage: CountedImage | undefined, newImage: CountedImage | undefined): StatusCount[] {
  if (eventName !== 'MODIFY' || newImage?.kind !== 'message' || oldImage?.kind !== 'message') return [];
  const before = oldImage.status as MessageStatus;
  const after = newImage.status as MessageStatus;
  if (before === after) return [];
  const tenantId = String(newImage.tenantId);
  const day = String(newImage.createdAt).slice(0, 10);
  const figures = figuresOfImage(newImage);
  const counts: StatusCount[] = [];
  if (isFinal(before)) counts.push({ tenantId, day, group: before, sign: -1, figures });
  if (isFinal(after)) counts.push({ tenantId, day, group: after, sign: 1, figures });
  return counts;
}

/** The counts of one invocation summed per tenant and day, net zeros left out: one ADD per tenant-day. */
export function groupStatusCounts(counts: readonly StatusCount[]): { tenantId: string; day: string; byGroup: Map<string, UsageFigures> }[] {
  const groups = new Map<string, { tenantId: string; day: string; byGroup: Map<string, UsageFigures> }>();
  for (const c of counts) {
    const key = `${c.tenantId}#${c.day}`;
    const group = groups.get(key) ?? { tenantId: c.tenantId, day: c.day, byGroup: new Map() };
    const signed = { messages: c.sign * c.figures.messages, segments: c.sign * c.figures.segments, spendMicros: c.sign * c.figures.spendMicros };
    group.byGroup.set(c.group, addFigures(group.byGroup.get(c.group) ?? ZERO, signed));
    groups.set(key, group);
  }
  for (const g of groups.values()) for (const [s, f] of g.byGroup) if (f.messages === 0 && f.segments === 0 && f.spendMicros === 0) g.byGroup.delete(s);
  return [...groups.values()].filter((g) => g.byGroup.size > 0);
}
