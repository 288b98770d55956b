/**
 * /v1/inbound: a tenant's inbound messages, newest first, and one by id. MessagesApi
 * authenticates and rate-limits the request, then hands it here. Every input problem is a 400
 * naming the field: `to` (E.164, or a short code), `from` (E.164), `since` (RFC 3339), `limit`,
 * `cursor`. Another tenant's message, and a message to a number nobody owns, are not found.
 * Reads only: the worker records the messages (core/aws/inbound-store.ts).
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { InboundPageRequest, StoredInbound } from '../aws/inbound-store';
import { destinationForms } from '../domain/number-ownership';
import type { FieldProblem } from '../domain/submission';
import { json, type ProblemResponder } from '../http/problem';
import type { ApiRequest } from './messages-api';
import { cursorProblem, parseLimit } from './list-paging';

/** What the API needs from the inbound store. */
export interface InboundRepository {
  get(id: string): Promise<StoredInbound | undefined>;
  /** One page, newest first; `after` and `next` are sort keys. */
  list(tenantId: string, page: InboundPageRequest): Promise<{ inbound: StoredInbound[]; next?: string }>;
}

export type InboundHandler = (req: ApiRequest, tenantId: string) => Promise<APIGatewayProxyResult>;

/** An inbound message as GET /v1/inbound shows it. */
export type InboundView = Pick<StoredInbound, 'id' | 'from' | 'to' | 'text' | 'parts' | 'carrierId' | 'receivedAt' | 'tenantId'>;

const E164 = /^\+[1-9][0-9]{6,14}$/;
const SHORT_CODE = /^[0-9]{3,8}$/;
/** RFC 3339 with a time zone (Z or an offset), seconds and fractions optional in practice: parsed by Date. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;
/** An inbox sort key: the ISO time the message was received, and its id. */
const INBOX_SORT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{32}$/;
const INBOUND_ID = /^[0-9a-f]{32}$/;

/** What a list request asks for, or the problems with it, each naming its field. Pure. */
export function parseInboundQuery(query: Record<string, string | undefined>): { ok: true; page: InboundPageRequest } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const limit = parseLimit(query.limit);
  if ('problem' in limit) problems.push(limit.problem);
  const page: InboundPageRequest = { limit: 'limit' in limit ? limit.limit : 0 };
  if (query.to !== undefined) {
    if (E164.test(query.to) || SHORT_CODE.test(query.to)) page.to = destinationForms(query.to);
    else problems.push({ field: 'to', problem: 'must be an E.164 number such as +447700900000 (the "+" URL-encoded as %2B) or a short code such as 60100' });
  }
  if (query.from !== undefined) {
    if (E164.test(query.from)) page.from = query.from;
    else problems.push({ field: 'from', problem: 'must be an E.164 number such as +447700900123 (the "+" URL-encoded as %2B)' });
  }
  if (query.since !== undefined) {
    const at = RFC3339.test(query.since) ? Date.parse(query.since) : NaN;
    if (Number.isNaN(at)) problems.push({ field: 'since', problem: 'must be an RFC 3339 date-time such as 2026-12-01T12:00:00Z' });
    else page.since = new Date(at).toISOString();
  }
  if (query.cursor !== undefined) {
    const after = decodeInboundCursor(query.cursor);
    if (after === null) problems.push(cursorProblem);
    else page.after = after;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, page };
}

export function inboundView(m: StoredInbound): InboundView {
  return { id: m.id, from: m.from, to: m.to, text: m.text, parts: m.parts, carrierId: m.carrierId, receivedAt: m.receivedAt, ...(m.tenantId !== undefined ? { tenantId: m.tenantId } : {}) };
}

export class InboundApi {
  constructor(
    private readonly inbound: InboundRepository,
    private readonly problem: ProblemResponder,
    private readonly log: (event: string, data: Record<string, unknown>) => void,
  ) {}

  /** The methods of an inbound path (segments after /v1), or undefined when the path is none of these. */
  route(segments: readonly string[]): Record<string, InboundHandler> | undefined {
    if (segments[0] !== 'inbound') return undefined;
    if (segments.length === 1) return { GET: (r, t) => this.list(r, t) };
    if (segments.length !== 2) return undefined;
    const raw = segments[1]!;
    return { GET: (_r, t) => this.read(t, raw) };
  }

  /** GET /v1/inbound?to=&from=&since=&limit=&cursor=: the tenant's inbound messages, newest first. */
  private async list(req: ApiRequest, tenantId: string): Promise<APIGatewayProxyResult> {
    const parsed = parseInboundQuery(req.query);
    if (!parsed.ok) {
      this.log('REQUEST_REJECTED', { reason: 'validation-failed', fields: parsed.problems.map((p) => p.field) });
      return this.problem(400, 'validation-failed', parsed.problems.map((p) => `${p.field}: ${p.problem}`).join('; '), { errors: parsed.problems });
    }
    const page = await this.inbound.list(tenantId, parsed.page);
    return json(200, { inbound: page.inbound.map(inboundView), ...(page.next !== undefined ? { nextCursor: encodeInboundCursor(page.next) } : {}) });
  }

  /** GET /v1/inbound/{id}: one of the tenant's inbound messages, or 404. */
  private async read(tenantId: string, id: string): Promise<APIGatewayProxyResult> {
    const found = INBOUND_ID.test(id) ? await this.inbound.get(id) : undefined;
    if (!found || found.tenantId !== tenantId) return this.problem(404, 'not-found', `no inbound message ${id.slice(0, 64)}`);
    return json(200, inboundView(found));
  }
}

/** The cursor is the page's last sort key, base64url: opaque to clients, and no state on the server. */
export function encodeInboundCursor(sortKey: string): string {
  return Buffer.from(JSON.stringify({ after: sortKey }), 'utf8').toString('base64url');
}

/** The sort key a cursor carries, or null when it is not one encodeInboundCursor made. */
export function decodeInboundCursor(cursor: string): string | null {
  try {
    const after = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown } | null)?.after;
    return typeof after === 'string' && INBOX_SORT_KEY.test(after) ? after : null;
  } catch {
    return null;
  }
}
