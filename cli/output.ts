/**
 * What smsgw prints for people (--json prints the API's own JSON instead): a
 * message, the line of a send, one line per status event, the DLQ and usage tables.
 */
import * as z from 'zod/mini';
import type { MessageView } from './message-view';

/** HH:MM:SS.mmm of an ISO time, or the text itself when it is not one. */
function clock(iso: string): string {
  return /^\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d\.\d{3})/.exec(iso)?.[1] ?? iso;
}

/** The human view of GET /v1/messages/{id}. */
export function formatMessage(m: MessageView): string {
  const rows: [string, string][] = [];
  if (m.to) rows.push(['to', m.to + (m.from ? `  (from ${m.from})` : '')]);
  if (m.reference) rows.push(['reference', m.reference]);
  if (m.segments !== undefined) rows.push(['segments', `${m.segments}${m.encoding ? ` ${m.encoding}` : ''}`]);
  if (m.carrierId) rows.push(['carrier', `${m.carrierId}${m.attempt ? `, attempt ${m.attempt}` : ''}`]);
  if (m.reason) rows.push(['reason', m.reason]);
  if (m.smscIds?.length) rows.push(['smsc ids', m.smscIds.join(', ')]);
  if (m.receipt) rows.push(['receipt', `${m.receipt.state}${m.receipt.errorCode ? ` (err ${m.receipt.errorCode})` : ''}${m.receipt.receivedAt ? ` at ${clock(m.receipt.receivedAt)}` : ''}`]);
  const lines = [`${m.id}  ${m.status}`, ...rows.map(([k, v]) => `  ${k.padEnd(10)}${v}`)];
  (m.history ?? []).forEach((h, i) => {
    const extra = [h.carrierId, h.reason].filter((x) => x !== undefined).join(', ');
    lines.push(`  ${(i === 0 ? 'history' : '').padEnd(10)}${clock(h.at)}  ${h.status.padEnd(11)}${extra ? ` ${extra}` : ''}`.trimEnd());
  });
  return lines.join('\n');
}

/** One line of `smsgw list`: when, id, status, to (and from), segments, carrier. */
export function formatListedMessage(m: MessageView): string {
  const to = m.to ? `  ${m.to}${m.from ? ` (from ${m.from})` : ''}` : '';
  const segments = m.segments !== undefined ? `  ${m.segments} seg` : '';
  return `${m.createdAt ?? ''}  ${m.id}  ${m.status.padEnd(11)}${to}${segments}${m.carrierId ? `  ${m.carrierId}` : ''}`.trimStart();
}

/** One line for a message just accepted: id, status, and its segments when the answer has them. */
export function formatAccepted(m: MessageView): string {
  const schedule = m.status === 'SCHEDULED' && m.sendAt !== undefined ? `  at ${m.sendAt}${m.reason ? ` (${m.reason})` : ''}` : '';
  return `${m.id}  ${m.status}${m.segments !== undefined ? `  ${m.segments} segment${m.segments === 1 ? '' : 's'}${m.encoding ? ` ${m.encoding}` : ''}` : ''}${schedule}`;
}

/** A status event as tail shows it; anything else on the topic is printed as it came. */
const TailEvent = z.object({
  eventId: z.string(),
  messageId: z.string(),
  status: z.string(),
  previousStatus: z.optional(z.string()),
  reason: z.optional(z.string()),
  carrierId: z.optional(z.string()),
  attempt: z.optional(z.number()),
  segments: z.optional(z.number()),
  occurredAt: z.string(),
  reference: z.optional(z.string()),
});

/** An opt-out event (docs/webhooks.md#opt-out-events) as tail shows it. */
const TailOptOutEvent = z.object({
  type: z.enum(['opt_out.created', 'opt_out.deleted']),
  number: z.string(),
  sender: z.optional(z.string()),
  source: z.string(),
  keyword: z.optional(z.string()),
  occurredAt: z.string(),
});

/** An inbound message as `smsgw inbound` lists it, and tail shows its message.inbound event (docs/webhooks.md). */
const InboundLine = z.object({ id: z.string(), from: z.string(), to: z.string(), text: z.string(), parts: z.number(), receivedAt: z.string() });
const TailInboundEvent = z.object({ type: z.literal('message.inbound'), inboundId: z.string(), from: z.string(), to: z.string(), text: z.string(), occurredAt: z.string() });

/**
 * One line per inbound message: when, its id, from, to, parts when more than one, then its text.
 *
 * @example formatInbound({ id: '3f0c…', from: '+447700900123', to: '+447700900100', text: 'Yes', parts: 1, receivedAt: '2026-12-01T10:00:00.000Z' }) // '2026-12-01T10:00:00.000Z  3f0c…  +447700900123 → +447700900100  Yes'
 */
export function formatInbound(body: unknown): string {
  const parsed = InboundLine.safeParse(body);
  if (!parsed.success) return JSON.stringify(body);
  const m = parsed.data;
  return `${m.receivedAt}  ${m.id}  ${m.from} → ${m.to}${m.parts > 1 ? ` (${m.parts} parts)` : ''}  ${m.text}`;
}

/**
 * One line per status event: time, message id, status, then what is known; an opt-out event's
 * line has its type and number instead, an inbound message's its id, numbers and text.
 *
 * @example formatEvent({ … status: 'SUBMITTED', carrierId: 'sim-a', attempt: 1 }) // '12:00:01.250  3f0c2a1e-…  SUBMITTED    sim-a attempt 1'
 */
export function formatEvent(body: unknown): string {
  const parsed = TailEvent.safeParse(body);
  const optOut = parsed.success ? undefined : TailOptOutEvent.safeParse(body);
  if (optOut?.success) {
    const o = optOut.data;
    return `${clock(o.occurredAt)}  ${o.type}  ${o.number}${o.sender !== undefined ? ` from ${o.sender}` : ''}  ${o.source}${o.keyword !== undefined ? ` ${o.keyword}` : ''}`;
  }
  const inbound = parsed.success ? undefined : TailInboundEvent.safeParse(body);
  if (inbound?.success) {
    const m = inbound.data;
    return `${clock(m.occurredAt)}  ${m.inboundId}  INBOUND     ${m.from} → ${m.to}  ${m.text}`;
  }
  if (!parsed.success) return `(not a status event) ${JSON.stringify(body)}`;
  const e = parsed.data;
  const extra = [e.carrierId, e.attempt ? `attempt ${e.attempt}` : undefined, e.reason ? `(${e.reason})` : undefined, e.reference ? `ref ${e.reference}` : undefined].filter((x) => x !== undefined);
  return `${clock(e.occurredAt)}  ${e.messageId}  ${e.status.padEnd(11)}${extra.length ? ` ${extra.join(' ')}` : ''}`.trimEnd();
}

const OptOutLine = z.object({ number: z.string(), sender: z.optional(z.string()), optedOutAt: z.string(), source: z.string(), keyword: z.optional(z.string()) });

/**
 * One line per opt-out: number, since when, how (and from which sender, with scope sender).
 *
 * @example formatOptOut({ number: '+447700900123', optedOutAt: '2026-12-01T10:00:00.000Z', source: 'keyword', keyword: 'STOP' }) // '+447700900123  2026-12-01T10:00:00.000Z  keyword STOP'
 */
export function formatOptOut(body: unknown): string {
  const parsed = OptOutLine.safeParse(body);
  if (!parsed.success) return JSON.stringify(body);
  const o = parsed.data;
  return [o.number, o.optedOutAt, o.source + (o.keyword !== undefined ? ` ${o.keyword}` : ''), o.sender !== undefined ? `from ${o.sender}` : undefined].filter((x) => x !== undefined).join('  ');
}

/** One dead-letter queue in `dlq list` (its --json output is these rows). */
export interface DlqRow {
  name: string;
  messages: number;
  inFlight: number;
  redrivesTo: string;
  url: string;
}

/** A compact table: one row per DLQ, depth right-aligned. */
export function formatDlqTable(rows: readonly DlqRow[]): string {
  const header = ['DLQ', 'MESSAGES', 'IN FLIGHT', 'REDRIVES TO'];
  const cells = rows.map((r) => [r.name, String(r.messages), String(r.inFlight), r.redrivesTo]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 1 || i === 2 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}

const UsageFiguresView = z.object({ messages: z.number(), segments: z.number(), spend: z.number() });

/** GET /v1/usage as `usage` reads it. */
const UsageView = z.object({
  from: z.string(),
  to: z.string(),
  groupBy: z.string(),
  currency: z.optional(z.string()),
  rows: z.array(z.extend(UsageFiguresView, { day: z.optional(z.string()), country: z.optional(z.string()), status: z.optional(z.string()) })),
  total: UsageFiguresView,
});
export type UsageView = z.infer<typeof UsageView>;

export function parseUsageView(body: unknown): UsageView {
  const parsed = UsageView.safeParse(body);
  if (!parsed.success) throw new Error(`unexpected answer from GET /v1/usage: ${JSON.stringify(body).slice(0, 200)}`);
  return parsed.data;
}

/** One row per day, country or status, then the total; figures right-aligned, spend in the currency. */
export function formatUsageTable(u: UsageView): string {
  const key = u.groupBy.toUpperCase();
  const header = [key, 'MESSAGES', 'SEGMENTS', `SPEND${u.currency ? ` (${u.currency})` : ''}`];
  const row = (name: string, f: z.infer<typeof UsageFiguresView>) => [name, String(f.messages), String(f.segments), String(f.spend)];
  const cells = [...u.rows.map((r) => row(r.day ?? r.country ?? r.status ?? '', r)), row('total', u.total)];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [`usage ${u.from} to ${u.to}`, line(header), ...cells.map(line)].join('\n');
}
