/**
 * GET /v1/messages?to=&from=&status=&since=&until=&limit=&cursor=: the tenant's messages,
 * newest first, from the list index (core/aws/message-list.ts), never a table scan.
 * MessagesApi authenticates and rate-limits the request, then hands it here. Every input
 * problem is a 400 naming the field.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { InvalidListCursor, type MessageListPage, type MessageListQuery } from '../aws/message-list';
import { STATUSES, type MessageRecord, type MessageStatus } from '../domain/message';
import type { FieldProblem } from '../domain/submission';
import { json, type ProblemResponder } from '../http/problem';
import { cursorProblem, parseLimit } from './list-paging';

/** What the list needs from the store. */
export interface MessageLister {
  list(q: MessageListQuery): Promise<MessageListPage>;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;
/** RFC 3339 date-time, with a zone: "2026-12-01T20:00:00Z", "2026-12-01T21:00:00.5+01:00". */
const RFC3339 = /^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)$/;

/** The query of a list request, or the problems with it. */
export function parseMessageListQuery(tenantId: string, query: Readonly<Record<string, string | undefined>>): { ok: true; value: MessageListQuery } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const value: MessageListQuery = { tenantId, limit: 0 };
  const limit = parseLimit(query.limit);
  if ('problem' in limit) problems.push(limit.problem);
  else value.limit = limit.limit;
  if (query.to !== undefined) {
    if (E164.test(query.to)) value.to = query.to;
    else problems.push({ field: 'to', problem: 'must be an E.164 number such as +447700900123 (the "+" URL-encoded as %2B)' });
  }
  if (query.from !== undefined) {
    if (query.from.length >= 1 && query.from.length <= 16) value.from = query.from;
    else problems.push({ field: 'from', problem: 'must be a sender id of 1 to 16 characters' });
  }
  if (query.status !== undefined) {
    const statuses = query.status.split(',').map((s) => s.trim().toUpperCase());
    const unknown = statuses.filter((s) => !(STATUSES as readonly string[]).includes(s));
    if (unknown.length === 0) value.status = statuses as MessageStatus[];
    else problems.push({ field: 'status', problem: `must be one or more of ${STATUSES.join(', ')}, separated by commas` });
  }
  for (const field of ['since', 'until'] as const) {
    const raw = query[field];
    if (raw === undefined) continue;
    const at = RFC3339.test(raw) ? Date.parse(raw) : NaN;
    if (Number.isNaN(at)) problems.push({ field, problem: 'must be an RFC 3339 time with its zone, such as 2026-12-01T20:00:00Z' });
    else value[field] = new Date(at).toISOString();
  }
  if (value.since !== undefined && value.until !== undefined && value.since >= value.until) problems.push({ field: 'until', problem: 'must be later than since' });
  // Checked by the store, which alone knows its cursors (InvalidListCursor).
  if (query.cursor !== undefined) value.cursor = query.cursor;
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

export class MessagesListApi {
  constructor(
    private readonly lister: MessageLister,
    private readonly problem: ProblemResponder,
    private readonly view: (r: MessageRecord) => unknown,
    private readonly log: (event: string, data: Record<string, unknown>) => void,
  ) {}

  async list(query: Readonly<Record<string, string | undefined>>, tenantId: string): Promise<APIGatewayProxyResult> {
    const parsed = parseMessageListQuery(tenantId, query);
    if (!parsed.ok) return this.invalid(parsed.problems);
    let page: MessageListPage;
    try {
      page = await this.lister.list(parsed.value);
    } catch (err) {
      if (err instanceof InvalidListCursor) return this.invalid([cursorProblem]);
      throw err;
    }
    return json(200, { messages: page.items.map(this.view), ...(page.cursor !== undefined ? { nextCursor: page.cursor } : {}) });
  }

  private invalid(problems: FieldProblem[]): APIGatewayProxyResult {
    this.log('REQUEST_REJECTED', { reason: 'validation-failed', fields: problems.map((p) => p.field) });
    return this.problem(400, 'validation-failed', problems.map((p) => `${p.field}: ${p.problem}`).join('; '), { errors: problems });
  }
}
