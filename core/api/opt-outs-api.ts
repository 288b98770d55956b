/**
 * /v1/opt-outs: a tenant's opt-outs, listed, read, added (e.g. from a web form) and removed.
 * MessagesApi authenticates and rate-limits the request, then hands it here. Every input
 * problem is a 4xx naming the field: `number` (the path's E.164 number), `sender`, `limit`,
 * `cursor`. Each change is one conditional write (core/aws/opt-out-store.ts), and the table
 * stream turns it into an opt_out.created or opt_out.deleted event (core/domain/opt-out-event.ts).
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import type { RuntimeTenant } from '../config/runtime';
import type { OptOut, OptOutSource } from '../domain/opt-outs';
import { normaliseDestination, senderProblem, zodProblems, type FieldProblem } from '../domain/submission';
import { readJsonBody } from '../http/json-body';
import { json, type ProblemResponder } from '../http/problem';
import { LogEvent } from '../util/logger';
import { cursorProblem, parseLimit } from './list-paging';
import type { ApiRequest } from './messages-api';

/** What the API needs from the opt-out store. */
export interface OptOutRepository {
  optOut(tenantId: string, o: { number: string; sender?: string; source: OptOutSource; keyword?: string; at: Date }): Promise<{ created: boolean }>;
  remove(tenantId: string, o: { number: string; sender?: string; at: Date }): Promise<{ removed: boolean }>;
  get(tenantId: string, number: string, sender?: string): Promise<OptOut | undefined>;
  /** The opt-outs in force among these keys, in one round trip. */
  inForce(tenantId: string, keys: readonly { number: string; sender?: string }[]): Promise<OptOut[]>;
  /** One page in number order; `after` and `next` are sort keys. */
  list(tenantId: string, page: { limit: number; after?: string }): Promise<{ optOuts: OptOut[]; next?: string }>;
}

export type OptOutHandler = (req: ApiRequest, tenantId: string) => Promise<APIGatewayProxyResult>;

const MAX_PUT_BODY_BYTES = 1024;
/** Rounds of a PUT that races removals of the same opt-out; past them the Lambda answers 503. */
const MAX_PUT_ROUNDS = 3;

const PutBody = z.strictObject({ sender: z.optional(z.string()) });

/** The E.164 syntax of `{number}`: the same rules as a message's `to` apply after it. */
const E164 = /^\+[1-9][0-9]{6,14}$/;

type Parsed<T> = { ok: true; value: T } | { ok: false; response: APIGatewayProxyResult };

export class OptOutsApi {
  private readonly tenants: ReadonlyMap<string, RuntimeTenant>;

  constructor(
    tenants: readonly RuntimeTenant[],
    private readonly optOuts: OptOutRepository,
    private readonly problem: ProblemResponder,
    private readonly now: () => Date,
    private readonly log: (event: string, data: Record<string, unknown>) => void,
  ) {
    this.tenants = new Map(tenants.map((t) => [t.id, t]));
  }

  /** The methods of an opt-out path (segments after /v1), or undefined when the path is none of these. */
  route(segments: readonly string[]): Record<string, OptOutHandler> | undefined {
    if (segments[0] !== 'opt-outs') return undefined;
    if (segments.length === 1) return { GET: (r, t) => this.list(r, t) };
    if (segments.length !== 2) return undefined;
    const raw = segments[1]!;
    return {
      GET: (r, t) => this.read(r, t, raw),
      PUT: (r, t) => this.put(r, t, raw),
      DELETE: (r, t) => this.remove(r, t, raw),
    };
  }

  private invalid(status: 400 | 422, problems: FieldProblem[]): APIGatewayProxyResult {
    this.log('REQUEST_REJECTED', { reason: 'validation-failed', fields: problems.map((p) => p.field) });
    return this.problem(status, 'validation-failed', problems.map((p) => `${p.field}: ${p.problem}`).join('; '), { errors: problems });
  }

  /** `{number}`, URL-decoded: E.164 and a valid mobile number, like a message's `to`. */
  private number(raw: string): Parsed<string> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return { ok: false, response: this.invalid(400, [{ field: 'number', problem: 'is not URL-encoded correctly; send %2B for the "+"' }]) };
    }
    if (!E164.test(decoded)) {
      return { ok: false, response: this.invalid(400, [{ field: 'number', problem: 'must be an E.164 number such as +447700900123 (the "+" URL-encoded as %2B)' }]) };
    }
    const normalised = normaliseDestination(decoded);
    if ('problem' in normalised) return { ok: false, response: this.invalid(400, [{ field: 'number', problem: normalised.problem }]) };
    return { ok: true, value: normalised.e164 };
  }

  /** A sender only counts with `optOut.scope: sender`; with scope tenant naming one is an error, not ignored. */
  private sender(tenantId: string, sender: string | undefined, field: string, status: 400 | 422): Parsed<string | undefined> {
    if (sender === undefined) return { ok: true, value: undefined };
    if (this.tenants.get(tenantId)!.optOut.scope !== 'sender') {
      return { ok: false, response: this.invalid(status, [{ field, problem: 'applies only to a tenant with optOut.scope sender; this tenant’s opt-outs cover all its senders' }]) };
    }
    const problem = senderProblem(sender);
    return problem ? { ok: false, response: this.invalid(status, [{ field, problem }]) } : { ok: true, value: sender };
  }

  /** GET /v1/opt-outs?limit=&cursor=: the opt-outs in force, in number order. */
  private async list(req: ApiRequest, tenantId: string): Promise<APIGatewayProxyResult> {
    const problems: FieldProblem[] = [];
    const limit = parseLimit(req.query.limit);
    if ('problem' in limit) problems.push(limit.problem);
    const after = req.query.cursor === undefined ? undefined : decodeCursor(req.query.cursor);
    if (after === null) problems.push(cursorProblem);
    if (problems.length > 0 || 'problem' in limit) return this.invalid(400, problems);
    const page = await this.optOuts.list(tenantId, { limit: limit.limit, ...(after ? { after } : {}) });
    return json(200, { optOuts: page.optOuts, ...(page.next !== undefined ? { nextCursor: encodeCursor(page.next) } : {}) });
  }

  /** GET /v1/opt-outs/{number}[?sender=]: the opt-out in force, or 404. */
  private async read(req: ApiRequest, tenantId: string, raw: string): Promise<APIGatewayProxyResult> {
    const number = this.number(raw);
    if (!number.ok) return number.response;
    const sender = this.sender(tenantId, req.query.sender, 'sender', 400);
    if (!sender.ok) return sender.response;
    const found = await this.optOuts.get(tenantId, number.value, sender.value);
    return found ? json(200, found) : this.problem(404, 'not-found', `no opt-out of ${number.value}${sender.value !== undefined ? ` from ${sender.value}` : ''}`);
  }

  /**
   * PUT /v1/opt-outs/{number}: 201 with the new opt-out, 200 with the one in force already (its
   * first opt-out stands, read after the write that found it). The body is optional: none, empty, or `{}`; `{ "sender": … }` for scope sender.
   */
  private async put(req: ApiRequest, tenantId: string, raw: string): Promise<APIGatewayProxyResult> {
    const number = this.number(raw);
    if (!number.ok) return number.response;
    const body = this.putBody(req);
    if (!body.ok) return body.response;
    const sender = this.sender(tenantId, body.value.sender, 'sender', 422);
    if (!sender.ok) return sender.response;
    const key = { number: number.value, ...(sender.value !== undefined ? { sender: sender.value } : {}) };
    const location = { location: `/v1/opt-outs/${encodeURIComponent(key.number)}` };
    // An opt-out removed between the write that found it in force and the read of it: add it again.
    for (let round = 0; round < MAX_PUT_ROUNDS; round++) {
      const at = this.now();
      if ((await this.optOuts.optOut(tenantId, { ...key, source: 'api', at })).created) {
        this.log(LogEvent.OPT_OUT_CREATED, { tenantId, to: key.number, source: 'api' });
        return json(201, { ...key, optedOutAt: at.toISOString(), source: 'api' } satisfies OptOut, location);
      }
      const current = await this.optOuts.get(tenantId, key.number, key.sender);
      if (current) return json(200, current, location);
    }
    throw new Error(`the opt-out of a number of tenant ${tenantId} was removed ${MAX_PUT_ROUNDS} times while it was being added`);
  }

  private putBody(req: ApiRequest): Parsed<{ sender?: string }> {
    if (req.body === null || req.body.trim() === '') return { ok: true, value: {} };
    const content = req.headers[Object.keys(req.headers).find((k) => k.toLowerCase() === 'content-type') ?? ''];
    const body = readJsonBody(content, req.body, { maxBytes: MAX_PUT_BODY_BYTES, fieldLevels: 1 });
    if (!body.ok) return { ok: false, response: this.problem(body.problem.status, body.problem.type, body.problem.detail, body.problem.extra) };
    const parsed = PutBody.safeParse(body.value);
    return parsed.success ? { ok: true, value: parsed.data } : { ok: false, response: this.invalid(422, zodProblems(parsed.error, body.value)) };
  }

  /** DELETE /v1/opt-outs/{number}[?sender=]: 204, the removal recorded with its time; 404 when none was in force. */
  private async remove(req: ApiRequest, tenantId: string, raw: string): Promise<APIGatewayProxyResult> {
    const number = this.number(raw);
    if (!number.ok) return number.response;
    const sender = this.sender(tenantId, req.query.sender, 'sender', 400);
    if (!sender.ok) return sender.response;
    const { removed } = await this.optOuts.remove(tenantId, { number: number.value, ...(sender.value !== undefined ? { sender: sender.value } : {}), at: this.now() });
    if (!removed) return this.problem(404, 'not-found', `no opt-out of ${number.value}${sender.value !== undefined ? ` from ${sender.value}` : ''} is in force`);
    this.log(LogEvent.OPT_OUT_DELETED, { tenantId, to: number.value });
    return { statusCode: 204, headers: {}, body: '' };
  }
}

/** The cursor is the page's last sort key, base64url: opaque to clients, and no state on the server. */
export function encodeCursor(sortKey: string): string {
  return Buffer.from(JSON.stringify({ after: sortKey }), 'utf8').toString('base64url');
}

/** The sort key a cursor carries, or null when it is not one encodeCursor made. */
export function decodeCursor(cursor: string): string | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const after = (value as { after?: unknown } | null)?.after;
    return typeof after === 'string' && /^\+[0-9]{7,15}(?:#.{1,16})?$/.test(after) ? after : null;
  } catch {
    return null;
  }
}
