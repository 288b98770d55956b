/**
 * GET …/Messages.json: the account's messages as Twilio pages them, on the list of /v1
 * (GET /v1/messages: the index by tenant and time, newest first, an opaque cursor).
 *
 * Paging: `PageSize` (Twilio's default 50; at most the /v1 list's 100, a larger one is cut to it),
 * `Page` (the page's number, 0 first) and `PageToken` (our cursor). `next_page_uri` carries all
 * three, and the filters, so the SDK's `.list()` and `.each()` follow it; `previous_page_uri` is
 * null (the cursor goes one way).
 *
 * Filters: `To`, `From`, and `DateSent`, `DateSent<` (on or before) and `DateSent>` (on or
 * after), as a date (YYYY-MM-DD, a whole UTC day) or a date and time (what the SDKs send). The
 * index orders messages by when they were created, so DateSent filters by that time: it differs
 * from the sending time by the seconds a message queues, or by its schedule.
 */
import type { MessageListQuery } from '../aws/message-list';
import { TwilioCode } from './errors';
import { messagesPath } from './resource';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const DAY_MS = 86_400_000;
const FILTERS = ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>'] as const;
const PAGING = ['PageSize', 'Page', 'PageToken'] as const;

export interface TwilioListRequest {
  query: Omit<MessageListQuery, 'tenantId'>;
  page: number;
  pageSize: number;
  /** The filters as given, for the page URIs. */
  filters: Record<string, string>;
}

type Parsed = { ok: true; value: TwilioListRequest } | { ok: false; code: number; message: string };

/** The time range of a DateSent value: a date is its UTC day, a date and time its second. */
function rangeOf(value: string): { from: number; to: number } | undefined {
  if (DATE.test(value)) {
    const from = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(from) ? undefined : { from, to: from + DAY_MS };
  }
  if (!DATE_TIME.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : { from: at, to: at + 1000 };
}

export function parseTwilioListQuery(query: Readonly<Record<string, string | undefined>>): Parsed {
  const refuse = (message: string): Parsed => ({ ok: false, code: TwilioCode.invalidParameter, message });
  const filters: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (!(FILTERS as readonly string[]).includes(key) && !(PAGING as readonly string[]).includes(key)) return refuse(`${key}: unknown parameter`);
    if ((FILTERS as readonly string[]).includes(key)) filters[key] = value;
  }
  const q: Omit<MessageListQuery, 'tenantId'> = { limit: DEFAULT_PAGE_SIZE };
  if (filters.To !== undefined) q.to = filters.To;
  if (filters.From !== undefined) q.from = filters.From;
  let since: number | undefined;
  let until: number | undefined;
  for (const key of ['DateSent', 'DateSent>', 'DateSent<'] as const) {
    const value = filters[key];
    if (value === undefined) continue;
    const range = rangeOf(value);
    if (!range) return refuse(`${key}: must be a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDThh:mm:ssZ), got ${JSON.stringify(value)}`);
    if (key !== 'DateSent<') since = Math.max(since ?? -Infinity, range.from);
    if (key !== 'DateSent>') until = Math.min(until ?? Infinity, range.to);
  }
  if (since !== undefined) q.since = new Date(since).toISOString();
  if (until !== undefined) q.until = new Date(until).toISOString();

  const size = query.PageSize;
  let pageSize = DEFAULT_PAGE_SIZE;
  if (size !== undefined) {
    if (!/^[0-9]{1,4}$/.test(size) || Number(size) < 1) return refuse(`PageSize: must be a whole number from 1, got ${JSON.stringify(size)}`);
    pageSize = Math.min(Number(size), MAX_PAGE_SIZE);
  }
  q.limit = pageSize;
  const pageText = query.Page;
  const page = pageText === undefined ? 0 : /^[0-9]{1,9}$/.test(pageText) ? Number(pageText) : NaN;
  if (Number.isNaN(page)) return refuse(`Page: must be a whole number from 0, got ${JSON.stringify(pageText)}`);
  if (query.PageToken !== undefined) q.cursor = query.PageToken;
  else if (page > 0) return refuse('Page: a page after the first needs its PageToken (follow next_page_uri)');
  return { ok: true, value: { query: q, page, pageSize, filters } };
}

/** A page's URI: the account's messages with the filters, the page size and, after the first, the page and its token. */
export function pageUri(accountSid: string, filters: Record<string, string>, pageSize: number, page: number, token: string | undefined): string {
  const params = new URLSearchParams(filters);
  params.set('PageSize', String(pageSize));
  params.set('Page', String(page));
  if (token !== undefined) params.set('PageToken', token);
  return `${messagesPath(accountSid)}.json?${params.toString()}`;
}

/** Twilio's paging fields around `count` resources of page `page`. */
export function pageEnvelope(accountSid: string, r: TwilioListRequest, count: number, token: string | undefined, nextToken: string | undefined) {
  const start = r.page * r.pageSize;
  return {
    uri: pageUri(accountSid, r.filters, r.pageSize, r.page, token),
    first_page_uri: pageUri(accountSid, r.filters, r.pageSize, 0, undefined),
    next_page_uri: nextToken !== undefined ? pageUri(accountSid, r.filters, r.pageSize, r.page + 1, nextToken) : null,
    previous_page_uri: null,
    page: r.page,
    page_size: r.pageSize,
    start,
    end: count > 0 ? start + count - 1 : start,
  };
}
