/**
 * The HTTPS API, independent of API Gateway: routes a request to submit, batch,
 * read or dry-run, and maps every outcome to a JSON or problem+json response.
 * Invalid input always ends in a 4xx that names the field; nothing is stored
 * for a rejected request.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import type { RuntimeConfig, RuntimeTenant } from '../config/runtime';
import { sha256Hex } from '../config/runtime';
import { IDEMPOTENCY_KEY_PATTERN, messageId, requestHash } from '../domain/idempotency';
import type { CallbackFormat, MessageRecord, MessageStatus } from '../domain/message';
import { countPumping, releasePumping, secondsToHourEnd, type PumpingCounter, type PumpingDestination, type PumpingRefusal } from '../domain/pumping';
import type { OptOut } from '../domain/opt-outs';
import { routedChange } from '../domain/route-message';
import { scheduleOf, type Schedule } from '../domain/schedule';
import { RoutingTable, type HealthCheck, type RouteSelected } from '../domain/routing';
import { validateSubmission, zodProblems, type FieldProblem, type SubmissionLimits, type ValidSubmission } from '../domain/submission';
import { TenantRules, type TenantRuleResult } from '../domain/tenant-rules';
import { transitionInMemory } from '../domain/transition';
import { readJsonBody, type BodyLimits } from '../http/json-body';
import { isProblemType, json, PROBLEMS_PATH, problemResponder, type ProblemResponder } from '../http/problem';
import { problemTypePage, problemTypesPage } from '../http/problem-pages';
import { OPTED_OUT_REASON, optOutsStopping } from './opt-out-check';
import { MessagesListApi, type MessageLister } from './messages-list-api';
import { InvalidListCursor, type MessageListPage, type MessageListQuery } from '../aws/message-list';
import { InboundApi, type InboundRepository } from './inbound-api';
import { OptOutsApi, type OptOutRepository } from './opt-outs-api';
import { priceOf, toMicros } from '../domain/prices';
import { capsOf, percentUsed, type Caps, type Charge, type QuotaName, type QuotaRefusal } from '../domain/quota';
import { chargeQuota, refundQuota, type QuotaCharge, type UsageCounter } from './quota-step';
import { parseUsageQuery, usageReport, type UsageReader } from './usage-api';

export interface ApiRequest {
  method: string;
  /** Path below the stage, e.g. "/v1/messages/123". */
  path: string;
  /** Header names in any case. */
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  body: string | null;
}

/** What the API needs from the message table. */
export interface MessageRepository {
  create(record: MessageRecord): Promise<{ created: true } | { created: false; existing: MessageRecord }>;
  get(id: string): Promise<MessageRecord | undefined>;
  /** The records that exist among these ids (any order). */
  getMany(ids: string[]): Promise<MessageRecord[]>;
  /** Cancels a message not yet submitted; returns the record as it is after the attempt. */
  cancel(id: string): Promise<{ applied: boolean; current: MessageRecord | undefined }>;
}

/**
 * Per-tenant request counts for the rate limit (fixed one-second windows). One
 * atomic step: counts the request unless the window already holds `limit`.
 */
export interface RequestCounter {
  /** True when the request was counted (within the limit), false when the window is full. */
  tryCount(tenantId: string, windowSecond: number, limit: number): Promise<boolean>;
}

export interface ApiDependencies {
  config: RuntimeConfig;
  /** The API's own base URL (…/live): problem type URIs are `<apiUrl>/problems/<name>`, pages this API serves. */
  apiUrl: string;
  messages: MessageRepository;
  /** The tenants' messages by time: GET /v1/messages. */
  list: MessageLister;
  /** Counts each authenticated request against its tenant's rateLimitPerSecond. */
  requests: RequestCounter;
  /** Counts the messages of tenants with `pumping` in their hourly windows (core/domain/pumping.ts). */
  pumping: PumpingCounter;
  /** The tenants' opt-outs: /v1/opt-outs, and the check of every message at acceptance. */
  optOuts: OptOutRepository;
  /** The inbound messages the worker recorded: GET /v1/inbound. */
  inbound: InboundRepository;
  /** The tenants' usage items: counted at acceptance against the caps, read by GET /v1/usage. */
  usage: UsageCounter & UsageReader;
  /** Current carrier health (cached by the caller), for routing first attempts and for dry runs. */
  health: () => Promise<HealthCheck>;
  now?: () => Date;
  /** A message was stored (not a replay): `route` is the routing of its first attempt, when the API routed it. */
  onAccepted?: (record: MessageRecord, route: RouteSelected | undefined) => void;
  /** A message was refused over a pumping limit (the SuspectedPumping metric). */
  onSuspectedPumping?: (tenantId: string, country: string) => void;
  /** After a request was counted: the percent of each of the tenant's caps now used (the QuotaUsed metric). */
  onQuotaUsed?: (tenantId: string, quota: QuotaName, percent: number) => void;
  /** Log lines for people: per request at info, per message of a batch at debug. */
  log?: (event: string, data: Record<string, unknown>, level?: ApiLogLevel) => void;
}

export type ApiLogLevel = 'debug' | 'info' | 'warn';

export const MAX_SINGLE_BODY_BYTES = 16 * 1024;
export const MAX_BATCH_BODY_BYTES = 1024 * 1024;

const BatchBody = z.strictObject({ messages: z.array(z.unknown()).check(z.minLength(1, 'messages must hold at least one message')) });

/** One message of a batch after validation and its tenant's rules: what to store, or why not. */
type CheckedItem = { ok: true; value: ValidSubmission } | { ok: false; type: 'validation-failed' | 'sender-not-allowed' | 'destination-not-allowed' | 'suspected-pumping'; problems: FieldProblem[]; retryAfter?: number };

export interface SubmitOptions {
  idempotencyKey: string | undefined;
  /** Names the request in its idempotency hash, e.g. "POST /v1/messages". */
  route: string;
  dryRun?: boolean;
  /** The form of the message's status callbacks (only with a callbackUrl). */
  callbackFormat?: CallbackFormat;
}

/** A message stored (or replayed), or the answer to give instead: a problem, or a dry run's result. */
export type SubmitOutcome = { kind: 'stored'; record: MessageRecord; replayed: boolean } | { kind: 'answer'; response: APIGatewayProxyResult };

type Handler = (req: ApiRequest, tenantId: string, params: Record<string, string>) => Promise<APIGatewayProxyResult>;

function header(req: ApiRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(req.headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** dryRun=true|1|false|0; anything else is refused rather than silently sending. */
function dryRunFlag(value: string | undefined): boolean | undefined {
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  return undefined;
}

export class MessagesApi {
  private readonly keyToTenant = new Map<string, string>();
  /** Each tenant's config with what is derived from it once: its sender and destination rules, its caps. */
  private readonly tenants = new Map<string, { config: RuntimeTenant; rules: TenantRules; caps: Caps }>();
  private readonly routing: RoutingTable;
  private readonly limits: SubmissionLimits;
  private readonly now: () => Date;
  private readonly log: (event: string, data: Record<string, unknown>, level?: ApiLogLevel) => void;
  private readonly problem: ProblemResponder;
  private readonly optOutsApi: OptOutsApi;
  private readonly listApi: MessagesListApi;
  private readonly inboundApi: InboundApi;

  constructor(private readonly deps: ApiDependencies) {
    this.problem = problemResponder(deps.apiUrl);
    for (const t of deps.config.tenants) {
      for (const h of t.apiKeySha256) this.keyToTenant.set(h, t.id);
      this.tenants.set(t.id, { config: t, rules: new TenantRules(t), caps: capsOf(t.quota) });
    }
    this.routing = new RoutingTable(deps.config.routes);
    this.limits = { ...deps.config.limits, ...(deps.config.callbackUrls ? { callbackUrls: deps.config.callbackUrls } : {}) };
    this.now = deps.now ?? (() => new Date());
    this.log = deps.log ?? (() => undefined);
    this.listApi = new MessagesListApi(deps.list, this.problem, publicView, (event, data) => this.log(event, data));
    this.optOutsApi = new OptOutsApi(deps.config.tenants, deps.optOuts, this.problem, this.now, (event, data) => this.log(event, data));
    this.inboundApi = new InboundApi(deps.inbound, this.problem, (event, data) => this.log(event, data));
  }

  async handle(req: ApiRequest): Promise<APIGatewayProxyResult> {
    const path = req.path.replace(/\/+$/, '') || '/';
    const segments = path.split('/').filter(Boolean);
    if (`/${segments[0]}` === PROBLEMS_PATH) return this.problemPages(req, path, segments.slice(1));
    let methods: Record<string, Handler> | undefined;
    const params: Record<string, string> = {};
    if (segments.length === 2 && segments[0] === 'v1' && segments[1] === 'messages') {
      // The list only at the path itself: `/v1/messages/` is what an id of "/" (`%2F`, which API Gateway
      // decodes) or an empty id leaves, and a read of no message is not a list.
      const list: Record<string, Handler> = req.path.endsWith('/') ? {} : { GET: (r, t) => this.listApi.list(r.query, t) };
      methods = { ...list, POST: (r, t) => this.submit(r, t) };
    } else if (segments.length === 3 && segments[0] === 'v1' && segments[1] === 'messages' && segments[2] === 'batch') {
      methods = { POST: (r, t) => this.submitBatch(r, t) };
    } else if (segments.length === 3 && segments[0] === 'v1' && segments[1] === 'messages') {
      let id: string;
      try {
        id = decodeURIComponent(segments[2]!);
      } catch {
        return this.problem(404, 'not-found', `no resource at ${path}`);
      }
      params.id = id;
      methods = { GET: (r, t, p) => this.read(t, p.id!), DELETE: (r, t, p) => this.cancel(t, p.id!) };
    } else if (segments[0] === 'v1' && segments[1] === 'opt-outs') {
      methods = this.optOutsApi.route(segments.slice(1));
    } else if (segments[0] === 'v1' && segments[1] === 'inbound') {
      methods = this.inboundApi.route(segments.slice(1));
    } else if (segments.length === 2 && segments[0] === 'v1' && segments[1] === 'usage') {
      methods = { GET: (r, t) => this.usage(r, t) };
    }
    if (!methods) return this.problem(404, 'not-found', `no resource at ${path}`);
    const run = methods[req.method.toUpperCase()];
    if (!run) {
      const allow = Object.keys(methods).join(', ');
      return this.problem(405, 'method-not-allowed', `${req.method} is not allowed on ${path}; use ${allow}`, { allow }, { allow });
    }
    const tenantId = this.authenticate(req);
    if (!tenantId) {
      this.log('REQUEST_REJECTED', { reason: 'unauthorized', path });
      return this.problem(401, 'unauthorized', header(req, 'x-api-key') ? 'the x-api-key header does not hold a valid API key' : 'the x-api-key header is missing');
    }
    const limited = await this.rateLimit(tenantId, path);
    if (limited) return limited;
    return run(req, tenantId, params);
  }

  /**
   * Counts the request in the tenant's current one-second window; a full window
   * answers 429 before the request is read, so nothing of it is stored.
   */
  async rateLimit(tenantId: string, path: string): Promise<APIGatewayProxyResult | undefined> {
    const limit = this.tenants.get(tenantId)!.config.rateLimitPerSecond;
    const windowSecond = Math.floor(this.now().getTime() / 1000);
    if (await this.deps.requests.tryCount(tenantId, windowSecond, limit)) return undefined;
    this.log('REQUEST_REJECTED', { reason: 'rate-limited', tenantId, path, limit });
    // The window ends within the second: Retry-After (whole seconds) is always 1.
    return this.problem(429, 'rate-limited', `tenant ${tenantId} may send ${limit} requests per second and has used them for this second; retry after 1 second`, { limit }, { 'retry-after': '1' });
  }

  private authenticate(req: ApiRequest): string | undefined {
    const key = header(req, 'x-api-key');
    if (!key) return undefined;
    return this.keyToTenant.get(sha256Hex(key));
  }

  /** Content type, size, JSON and depth checks shared by the POST routes. */
  private parseJsonBody(req: ApiRequest, limits: BodyLimits): { ok: true; value: unknown } | { ok: false; response: APIGatewayProxyResult } {
    const body = readJsonBody(header(req, 'content-type'), req.body, limits);
    if (body.ok) return body;
    const { status, type, detail, extra } = body.problem;
    if (type === 'validation-failed') this.log('REQUEST_REJECTED', { reason: type, fields: (extra.errors ?? []).map((e) => e.field) });
    return { ok: false, response: this.problem(status, type, detail, extra) };
  }

  private dryRunProblem(value: string | undefined): APIGatewayProxyResult {
    return this.problem(400, 'validation-failed', `dryRun must be true or false, got ${JSON.stringify(value)}`, { errors: [{ field: 'dryRun', problem: 'must be true or false' }] });
  }

  /** GET /problems and /problems/{name}: what each problem type means (no key needed). */
  private problemPages(req: ApiRequest, path: string, rest: string[]): APIGatewayProxyResult {
    const name = rest.length === 1 ? rest[0]! : undefined;
    if (rest.length > 1 || (name !== undefined && !isProblemType(name))) return this.problem(404, 'not-found', `no problem type at ${path}`);
    if (req.method.toUpperCase() !== 'GET') return this.problem(405, 'method-not-allowed', `${req.method} is not allowed on ${path}; use GET`, { allow: 'GET' }, { allow: 'GET' });
    const accept = header(req, 'accept');
    return name === undefined ? problemTypesPage(this.deps.apiUrl, accept) : problemTypePage(this.deps.apiUrl, name, accept);
  }

  private idempotencyKey(req: ApiRequest): { ok: true; key: string | undefined } | { ok: false; response: APIGatewayProxyResult } {
    const key = header(req, 'idempotency-key');
    if (key === undefined) return { ok: true, key: undefined };
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      return {
        ok: false,
        response: this.problem(400, 'validation-failed', 'Idempotency-Key must be 1-255 printable ASCII characters without spaces', {
          errors: [{ field: 'Idempotency-Key', problem: 'must be 1-255 printable ASCII characters without spaces' }],
        }),
      };
    }
    return { ok: true, key };
  }

  /**
   * The record to store: ACCEPTED, and ROUTED for attempt 1 in the same write when the routing
   * table routes it (the router's own change, `routedChange`), so the outbox sends it straight to
   * the carrier's queue. The request's hash only with an Idempotency-Key: only a replay reads it.
   * A message to an opted-out number is stored REJECTED (opted_out) instead, in the same write:
   * the outbox sends nothing for it, only its two status events. A scheduled one (`schedule`: its
   * sendAt, or quiet hours) is stored ACCEPTED then SCHEDULED, unrouted, its validity counted from
   * its sendAt; the outbox sends nothing for it either, the sweeper hands it to the router at its time.
   */
  private newRecord(
    id: string,
    tenantId: string,
    v: ValidSubmission,
    options: { requestHash: string | undefined; route: RouteSelected | undefined; optedOut?: OptOut | undefined; schedule?: Schedule | undefined; now?: Date; callbackFormat?: CallbackFormat },
  ): MessageRecord {
    const now = options.now ?? this.now();
    const at = now.toISOString();
    // A message an opt-out stops is never charged: it gets no price.
    const price = options.optedOut ? undefined : priceOf(this.deps.config.prices, { segments: v.segments, ...(v.country ? { country: v.country } : {}), ...(options.route ? { carrierId: options.route.carrierId } : {}) });
    const accepted: MessageRecord = {
      id,
      tenantId,
      status: 'ACCEPTED',
      to: v.to,
      ...(v.country ? { country: v.country } : {}),
      ...(v.from !== undefined ? { from: v.from } : {}),
      text: v.text,
      type: v.type,
      encoding: v.encoding,
      segments: v.segments,
      ...(price ?? {}),
      ...(v.reference !== undefined ? { reference: v.reference } : {}),
      ...(v.callbackUrl !== undefined ? { callbackUrl: v.callbackUrl } : {}),
      ...(v.callbackUrl !== undefined && options.callbackFormat !== undefined ? { callbackFormat: options.callbackFormat } : {}),
      validUntil: new Date((options.schedule ? Date.parse(options.schedule.sendAt) : now.getTime()) + v.validitySeconds * 1000).toISOString(),
      createdAt: at,
      updatedAt: at,
      attempt: 0,
      history: [{ status: 'ACCEPTED', at }],
      ...(options.requestHash !== undefined ? { requestHash: options.requestHash } : {}),
    };
    if (options.optedOut) {
      const rejected = transitionInMemory(accepted, 'REJECTED', { reason: OPTED_OUT_REASON, now }, this.deps.config.retentionDays);
      if (!rejected.applied) throw new Error(`message ${id}: REJECTED does not apply to a new record`);
      return rejected.record;
    }
    if (options.schedule) {
      const { sendAt, reason } = options.schedule;
      const scheduled = transitionInMemory(accepted, 'SCHEDULED', { ...(reason ? { reason } : {}), set: { sendAt }, now }, this.deps.config.retentionDays);
      if (!scheduled.applied) throw new Error(`message ${id}: SCHEDULED does not apply to a new record`);
      return scheduled.record;
    }
    if (!options.route) return accepted;
    const routed = transitionInMemory(accepted, 'ROUTED', { ...routedChange(options.route, 1), now }, this.deps.config.retentionDays);
    // A new record is ACCEPTED on attempt 0: the change always applies.
    if (!routed.applied) throw new Error(`message ${id}: ROUTED does not apply to a new record`);
    return routed.record;
  }

  /**
   * The route of a message's first attempt, chosen at acceptance, or undefined: no route matches
   * (the router rejects it, no_route), or carrier health could not be read (the router routes it).
   */
  private firstRoute(tenantId: string, v: ValidSubmission, health: HealthCheck | undefined): RouteSelected | undefined {
    if (!health) return undefined;
    const decision = this.routing.select({ ...v, tenantId }, health);
    return decision.outcome === 'routed' ? decision : undefined;
  }

  /** When the message is sent: undefined at once, else its sendAt and (quiet hours) reason, decided at acceptance by the API's clock. */
  private scheduleFor(tenantId: string, v: ValidSubmission): Schedule | undefined {
    return scheduleOf(v, this.tenants.get(tenantId)!.config.quietHours, this.now());
  }

  /** Carrier health for routing at acceptance; unreadable, the messages are stored ACCEPTED and routed by the router instead. */
  private async healthForRouting(): Promise<HealthCheck | undefined> {
    try {
      return await this.deps.health();
    } catch (err) {
      this.log('HEALTH_UNAVAILABLE', { error: (err as Error).name, detail: (err as Error).message }, 'warn');
      return undefined;
    }
  }

  /**
   * Stores one message; a replay of the same request returns the stored one. `level`: info for
   * a single submission (its request's line), debug for each message of a batch (the batch has its line).
   */
  private async store(record: MessageRecord, route: RouteSelected | undefined, level: ApiLogLevel): Promise<{ record: MessageRecord; replayed: boolean } | { reused: true }> {
    const result = await this.deps.messages.create(record);
    if (result.created) {
      this.deps.onAccepted?.(record, route);
      const routed = route ? { carrierId: route.carrierId, routeId: route.routeId } : {};
      const stopped = record.status === 'REJECTED' ? { status: record.status, reason: record.reason } : {};
      const scheduled = record.status === 'SCHEDULED' ? { status: record.status, sendAt: record.sendAt, ...(record.reason !== undefined ? { reason: record.reason } : {}) } : {};
      this.log('MESSAGE_ACCEPTED', { messageId: record.id, tenantId: record.tenantId, to: record.to, segments: record.segments, ...routed, ...stopped, ...scheduled }, level);
      return { record, replayed: false };
    }
    const existing = result.existing;
    // Only a request with an Idempotency-Key has a derived id and a hash; a random id that exists already is no replay.
    if (record.requestHash === undefined) throw new Error(`message id ${record.id} exists already`);
    if (existing.tenantId !== record.tenantId || existing.requestHash !== record.requestHash) return { reused: true };
    this.log('MESSAGE_REPLAYED', { messageId: existing.id, tenantId: existing.tenantId }, level);
    return { record: existing, replayed: true };
  }

  /**
   * The quota step (core/api/quota-step.ts): for a tenant with caps, counts these records in its
   * usage and marks them `usageCounted`; the first `accepted` of them fit its caps, `refusal` says
   * why the rest do not. Give it only the messages to charge: not one stored REJECTED without a
   * price (opted out), not a replay.
   */
  private async chargeQuota(tenantId: string, records: readonly MessageRecord[]): Promise<QuotaCharge> {
    const caps = this.tenants.get(tenantId)!.caps;
    const at = records[0] ? new Date(records[0].createdAt) : this.now();
    const charge = await chargeQuota(this.deps.usage, tenantId, caps, records.map(chargeOf), at);
    // The outbox counts the INSERTs of the records the API did not count (core/domain/usage.ts).
    if (charge.counted) for (const r of records.slice(0, charge.accepted)) r.usageCounted = true;
    if (charge.accepted > 0) for (const { quota, percent } of percentUsed(caps, charge.used)) this.deps.onQuotaUsed?.(tenantId, quota, percent);
    return charge;
  }

  /**
   * Stores charged records (16 at a time); gives back in one step the counts of those `charged`
   * that were not stored (a replay, a reused key, a failed put), so the usage equals what was
   * accepted. A failed put fails the request after the others are done.
   */
  private async storeCharged(
    items: readonly { record: MessageRecord; route: RouteSelected | undefined }[],
    level: ApiLogLevel,
    charge: QuotaCharge,
    charged: (id: string) => boolean,
  ): Promise<Map<string, Awaited<ReturnType<MessagesApi['store']>>>> {
    const out = new Map<string, Awaited<ReturnType<MessagesApi['store']>>>();
    const notStored: MessageRecord[] = [];
    let failure: unknown;
    await mapLimit(items, 16, async ({ record, route }) => {
      try {
        const stored = await this.store(record, route, level);
        out.set(record.id, stored);
        if ('reused' in stored || stored.replayed) notStored.push(record);
      } catch (err) {
        notStored.push(record);
        failure ??= err;
      }
    });
    const refunds = notStored.filter((r) => charged(r.id));
    if (refunds.length > 0) await refundQuota(this.deps.usage, refunds[0]!.tenantId, charge, refunds.map(chargeOf));
    if (failure !== undefined) throw failure;
    return out;
  }

  private quotaExceeded(tenantId: string, refusal: QuotaRefusal): APIGatewayProxyResult {
    const { quota, limit, used, resetsAt, retryAfterSeconds } = refusal;
    this.log('REQUEST_REJECTED', { reason: 'quota-exceeded', tenantId, quota, limit, used });
    return this.problem(429, 'quota-exceeded', `tenant ${tenantId}: ${quotaProblem(refusal)}`, { quota, limit, used, resetsAt }, { 'retry-after': String(retryAfterSeconds) });
  }

  /** GET /v1/usage: the tenant's figures over a range of days (core/api/usage-api.ts). */
  private async usage(req: ApiRequest, tenantId: string): Promise<APIGatewayProxyResult> {
    const query = parseUsageQuery(req.query, this.now());
    if (!query.ok) {
      this.log('REQUEST_REJECTED', { reason: 'validation-failed', fields: query.problems.map((p) => p.field) });
      return this.problem(400, 'validation-failed', query.problems.map((p) => `${p.field}: ${p.problem}`).join('; '), { errors: query.problems });
    }
    const days = await this.deps.usage.days(tenantId, query.value.from, query.value.to);
    return json(200, usageReport(query.value, days, this.deps.config.prices?.currency));
  }

  private accepted(record: MessageRecord) {
    // The first result of the request, whatever the message's status is now: ACCEPTED, or
    // REJECTED opted_out when the opt-out check stopped it at acceptance (its second history entry),
    // or SCHEDULED with its sendAt (and reason quiet_hours when quiet hours set it).
    const second = record.history[1];
    const stopped = second?.status === 'REJECTED' && second.reason === OPTED_OUT_REASON;
    const scheduled = second?.status === 'SCHEDULED';
    return {
      id: record.id,
      status: stopped ? ('REJECTED' as const) : scheduled ? ('SCHEDULED' as const) : ('ACCEPTED' as const),
      ...(stopped ? { reason: OPTED_OUT_REASON } : {}),
      ...(scheduled ? { ...(second.reason !== undefined ? { reason: second.reason } : {}), sendAt: record.sendAt } : {}),
      encoding: record.encoding,
      segments: record.segments,
    };
  }

  /** The opt-out step (opt-out-check.ts) for a request's valid messages, in order. */
  private optedOut(tenantId: string, messages: readonly ValidSubmission[]): Promise<(OptOut | undefined)[]> {
    return optOutsStopping(this.deps.optOuts, this.deps.config.tenants.find((t) => t.id === tenantId)!, messages);
  }

  private async dryRun(tenantId: string, v: ValidSubmission, optedOut: OptOut | undefined) {
    const health = await this.deps.health();
    const decision = this.routing.select({ ...v, tenantId }, health);
    const carrierId = decision.outcome === 'routed' ? decision.carrierId : undefined;
    const price = optedOut ? undefined : priceOf(this.deps.config.prices, { segments: v.segments, ...(v.country ? { country: v.country } : {}), ...(carrierId ? { carrierId } : {}) });
    // An opt-out stops it at acceptance, whatever its schedule.
    const schedule = optedOut ? undefined : this.scheduleFor(tenantId, v);
    return {
      dryRun: true,
      ...(schedule ? { status: 'SCHEDULED', sendAt: schedule.sendAt, ...(schedule.reason ? { reason: schedule.reason } : {}) } : {}),
      encoding: v.encoding,
      segments: v.segments,
      ...(price ?? {}),
      to: v.to,
      ...(v.country ? { country: v.country } : {}),
      route:
        decision.outcome === 'routed'
          ? { outcome: 'routed', routeId: decision.routeId, carrierId: decision.carrierId, reason: decision.reason, skippedCarriers: decision.skipped }
          : { outcome: 'no_route', reason: decision.reason },
      // The message would be stored REJECTED opted_out, whatever its route.
      ...(optedOut ? { optOut: optedOut } : {}),
    };
  }

  private async submit(req: ApiRequest, tenantId: string): Promise<APIGatewayProxyResult> {
    const idem = this.idempotencyKey(req);
    if (!idem.ok) return idem.response;
    const body = this.parseJsonBody(req, { maxBytes: MAX_SINGLE_BODY_BYTES, fieldLevels: 1 });
    if (!body.ok) return body.response;
    const dryRun = dryRunFlag(req.query.dryRun);
    if (dryRun === undefined) return this.dryRunProblem(req.query.dryRun);
    const outcome = await this.submitMessage(tenantId, body.value, { idempotencyKey: idem.key, route: 'POST /v1/messages', dryRun });
    if (outcome.kind === 'answer') return outcome.response;
    return json(202, this.accepted(outcome.record), {
      location: `/v1/messages/${outcome.record.id}`,
      ...(outcome.replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  }

  /**
   * The one-message pipeline of POST /v1/messages on a body already read (the JSON of /v1, or the
   * form of the Twilio-compatible API translated): validation, the tenant's rules, opt-out, pumping,
   * routing, quota, store. Gives the stored record (or the replayed one), or the answer to send
   * instead: a problem, or the result of a dry run. `route` names the request in its idempotency hash.
   */
  async submitMessage(tenantId: string, raw: unknown, options: SubmitOptions): Promise<SubmitOutcome> {
    const answer = (response: APIGatewayProxyResult): SubmitOutcome => ({ kind: 'answer', response });
    const key = options.idempotencyKey;
    const validated = validateSubmission(raw, this.limits, '', this.now());
    if (!validated.ok) {
      const replayed = await this.pastScheduleReplay(tenantId, key, options.route, raw, validated.problems);
      return replayed ? { kind: 'stored', record: replayed, replayed: true } : answer(this.invalid(validated.problems));
    }
    const result = this.tenants.get(tenantId)!.rules.apply(validated.value);
    if (!result.ok) return answer(this.refused(result));
    const [optedOut] = await this.optedOut(tenantId, [result.value]);
    if (options.dryRun) return answer(json(200, await this.dryRun(tenantId, result.value, optedOut)));

    const id = messageId(tenantId, key);
    const hash = key !== undefined ? requestHash(options.route, raw) : undefined;
    // A message an opt-out stops is stored REJECTED: it counts in no pumping window, and no quota.
    const pumpedAt = this.now();
    if (!optedOut) {
      const [pumping] = await this.pumpingStep(tenantId, [result.value], key !== undefined ? [id] : [], undefined, pumpedAt);
      if (pumping) return answer(this.suspectedPumping(tenantId, pumping));
    }
    // A scheduled message is routed at its time, by the router: not now.
    const schedule = optedOut ? undefined : this.scheduleFor(tenantId, result.value);
    const route = optedOut || schedule ? undefined : this.firstRoute(tenantId, result.value, await this.healthForRouting());
    const record = this.newRecord(id, tenantId, result.value, { requestHash: hash, route, optedOut, schedule, ...(options.callbackFormat ? { callbackFormat: options.callbackFormat } : {}) });
    const charge = await this.chargeQuota(tenantId, optedOut ? [] : [record]);
    // A full quota does not refuse the replay of a message stored before: only a new one is charged.
    if (!optedOut && charge.accepted === 0 && (key === undefined || !(await this.deps.messages.get(id)))) {
      await this.releasePumping(tenantId, [result.value], pumpedAt);
      return answer(this.quotaExceeded(tenantId, charge.refusal!));
    }
    const stored = (await this.storeCharged([{ record, route }], 'info', charge, () => !optedOut && charge.accepted > 0)).get(id)!;
    if ('reused' in stored) return answer(this.keyReused(key));
    return { kind: 'stored', record: stored.record, replayed: stored.replayed };
  }

  /**
   * The replay of a scheduled message whose sendAt is no longer far enough ahead: the same request
   * with the same Idempotency-Key answers its first result, as any replay does, although its sendAt
   * would be refused now. Undefined when that is not the case (another problem, no key, no such message).
   */
  private async pastScheduleReplay(tenantId: string, key: string | undefined, route: string, body: unknown, problems: readonly FieldProblem[]): Promise<MessageRecord | undefined> {
    if (key === undefined || !problems.every((p) => p.field === 'sendAt')) return undefined;
    const existing = await this.deps.messages.get(messageId(tenantId, key));
    if (!existing || existing.tenantId !== tenantId || existing.requestHash !== requestHash(route, body)) return undefined;
    this.log('MESSAGE_REPLAYED', { messageId: existing.id, tenantId });
    return existing;
  }

  private async submitBatch(req: ApiRequest, tenantId: string): Promise<APIGatewayProxyResult> {
    const idem = this.idempotencyKey(req);
    if (!idem.ok) return idem.response;
    const body = this.parseJsonBody(req, { maxBytes: MAX_BATCH_BODY_BYTES, fieldLevels: 2 });
    if (!body.ok) return body.response;
    const batch = BatchBody.safeParse(body.value);
    if (!batch.success) return this.invalid(zodProblems(batch.error, body.value));
    const max = this.deps.config.limits.maxBatchSize;
    if (batch.data.messages.length > max) {
      return this.invalid([{ field: 'messages', problem: `a batch holds at most ${max} messages, got ${batch.data.messages.length}` }]);
    }
    const dryRun = dryRunFlag(req.query.dryRun);
    if (dryRun === undefined) return this.dryRunProblem(req.query.dryRun);
    // Only a replay reads the hash: without an Idempotency-Key there is nothing to replay.
    const hash = idem.key !== undefined ? requestHash('POST /v1/messages/batch', body.value) : undefined;
    const rules = this.tenants.get(tenantId)!.rules;
    const validated = batch.data.messages.map((m, i): CheckedItem => {
      const v = validateSubmission(m, this.limits, `messages[${i}]`, this.now());
      return v.ok ? rules.apply(v.value, `messages[${i}]`) : { ...v, type: 'validation-failed' };
    });
    const storedBefore = new Set<string>();
    /** Messages of this request stored before whose sendAt is now too close to be taken again: replayed as stored (pastScheduleReplay). */
    const pastSchedules = new Map<number, MessageRecord>();
    if (idem.key !== undefined && !dryRun) {
      // A reused key must be refused before anything of this batch is stored.
      const ids = batch.data.messages.map((_, i) => messageId(tenantId, idem.key, i));
      const existing = await this.deps.messages.getMany(ids);
      if (existing.some((r) => r.tenantId !== tenantId || r.requestHash !== hash)) return this.keyReused(idem.key);
      for (const r of existing) storedBefore.add(r.id);
      const byId = new Map(existing.map((r) => [r.id, r]));
      validated.forEach((v, i) => {
        const record = byId.get(ids[i]!);
        if (!v.ok && record && v.type === 'validation-failed' && v.problems.every((p) => p.field === `messages[${i}].sendAt`)) pastSchedules.set(i, record);
      });
    }
    const checked = validated.flatMap((v) => (v.ok ? [v.value] : []));
    const pumpedAt = this.now();
    const stopping = await this.optedOut(tenantId, checked);
    const optOutOf = new Map(checked.map((v, i) => [v, stopping[i]]));
    if (!dryRun) {
      // A message an opt-out stops is stored REJECTED: it counts in no pumping window, and no quota.
      const passing = validated.flatMap((v, index) => (v.ok && !optOutOf.get(v.value) ? [{ v, index }] : []));
      const ids = idem.key !== undefined ? passing.map(({ index }) => messageId(tenantId, idem.key, index)) : [];
      const pumping = await this.pumpingStep(tenantId, passing.map(({ v }) => v.value), ids, storedBefore, pumpedAt);
      pumping.forEach((refusal, i) => {
        if (refusal) validated[passing[i]!.index] = this.pumpingRefusal(refusal, `messages[${passing[i]!.index}].to`);
      });
    }

    const valid = validated.flatMap((v) => (v.ok ? [v.value] : []));
    const health = dryRun || valid.every((v) => optOutOf.get(v)) ? undefined : await this.healthForRouting();
    // Every message of the batch is created at one time, so that all are counted in the same day.
    const now = this.now();
    const planned = new Map<number, { record: MessageRecord; route: RouteSelected | undefined }>();
    const stopped = new Set<string>();
    if (!dryRun) {
      validated.forEach((v, index) => {
        if (!v.ok) return;
        const stoppedBy = optOutOf.get(v.value);
        const schedule = stoppedBy ? undefined : this.scheduleFor(tenantId, v.value);
        const route = stoppedBy || schedule ? undefined : this.firstRoute(tenantId, v.value, health);
        const record = this.newRecord(messageId(tenantId, idem.key, index), tenantId, v.value, { requestHash: hash, route, optedOut: stoppedBy, schedule, now });
        if (stoppedBy) stopped.add(record.id);
        planned.set(index, { record, route });
      });
    }
    // Replays were charged when they were stored, opted-out messages are never charged; of the rest, the first ones that fit the caps are accepted.
    const toCharge = [...planned.values()].map((p) => p.record).filter((r) => !storedBefore.has(r.id) && !stopped.has(r.id));
    const charge = await this.chargeQuota(tenantId, toCharge);
    const overQuota = new Set(toCharge.slice(charge.accepted).map((r) => r.id));
    // Each of them was counted in its pumping windows (replays and opted-out messages were not): give that back.
    await this.releasePumping(tenantId, toCharge.slice(charge.accepted), pumpedAt);
    if (overQuota.size > 0 && overQuota.size === planned.size) return this.quotaExceeded(tenantId, charge.refusal!);
    const toStore = [...planned.values()].filter((p) => !overQuota.has(p.record.id));
    const stored = await this.storeCharged(toStore, 'debug', charge, (id) => !storedBefore.has(id) && !stopped.has(id));
    let routed = 0;
    let optedOut = 0;
    let replayed = 0;
    let segments = 0;
    const results = await mapLimit(validated, 16, async (v, index) => {
      const past = pastSchedules.get(index);
      if (past) {
        replayed++;
        return { index, outcome: 'accepted' as const, ...this.accepted(past) };
      }
      if (!v.ok) return { index, outcome: 'rejected' as const, type: v.type, errors: v.problems, ...(v.retryAfter !== undefined ? { retryAfter: v.retryAfter } : {}) };
      const stoppedBy = optOutOf.get(v.value);
      if (dryRun) return { index, outcome: 'dry-run' as const, ...(await this.dryRun(tenantId, v.value, stoppedBy)) };
      const { record, route } = planned.get(index)!;
      if (overQuota.has(record.id)) return { index, outcome: 'rejected' as const, type: 'quota-exceeded' as const, errors: [{ field: `messages[${index}]`, problem: quotaProblem(charge.refusal!) }] };
      const outcome = stored.get(record.id)!;
      if ('reused' in outcome) return { index, outcome: 'reused' as const };
      if (outcome.replayed) replayed++;
      else if (stoppedBy) optedOut++;
      else {
        segments += outcome.record.segments;
        if (route) routed++;
      }
      return { index, outcome: 'accepted' as const, ...this.accepted(outcome.record) };
    });
    if (results.some((r) => r.outcome === 'reused')) return this.keyReused(idem.key);
    const accepted = results.filter((r) => r.outcome === 'accepted').length;
    const rejected = results.filter((r) => r.outcome === 'rejected').length;
    // One line per batch request at info; each message's own line is at debug (README#operations).
    if (!dryRun) this.log('BATCH_ACCEPTED', { tenantId, messages: results.length, accepted, rejected, replayed, routed, optedOut, segments });
    if (!dryRun && accepted === 0) {
      // Every message refused for one reason: that problem answers the batch; for several, validation-failed.
      const refusals = validated.filter((v) => !v.ok);
      const only = refusals.every((v) => v.type === refusals[0]!.type) ? refusals[0]! : undefined;
      const retryAfter = only?.retryAfter;
      return this.problem(
        only?.type === 'suspected-pumping' ? 429 : 422,
        only?.type ?? 'validation-failed',
        'no message of the batch can be accepted; see results for each',
        { errors: results.flatMap((r) => (r.outcome === 'rejected' ? r.errors : [])), accepted, rejected, results },
        retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {},
      );
    }
    return json(dryRun ? 200 : 202, { accepted, rejected, results });
  }

  /** A page of the tenant's messages from the list of GET /v1/messages, or undefined for a cursor it did not give. */
  async listMessages(q: MessageListQuery): Promise<MessageListPage | undefined> {
    try {
      return await this.deps.list.list(q);
    } catch (err) {
      if (err instanceof InvalidListCursor) return undefined;
      throw err;
    }
  }

  /** The tenant's message with this id; another tenant's message is indistinguishable from a missing one. */
  async messageOf(tenantId: string, id: string): Promise<MessageRecord | undefined> {
    const record = /^[0-9a-f-]{36}$/.test(id) ? await this.deps.messages.get(id) : undefined;
    return record && record.tenantId === tenantId ? record : undefined;
  }

  private async read(tenantId: string, id: string): Promise<APIGatewayProxyResult> {
    const record = await this.messageOf(tenantId, id);
    if (!record) return this.problem(404, 'not-found', `no message ${id}`);
    return json(200, publicView(record));
  }

  /**
   * Cancels the tenant's message if it has not been submitted yet: the record as it is now, or
   * why not (`missing`, or `too-late` with its status). A message canceled before stays canceled.
   */
  async cancelMessage(tenantId: string, id: string): Promise<{ ok: true; record: MessageRecord } | { ok: false; why: 'missing' } | { ok: false; why: 'too-late'; status: MessageStatus }> {
    const record = await this.messageOf(tenantId, id);
    if (!record) return { ok: false, why: 'missing' };
    if (record.status === 'CANCELED') return { ok: true, record };
    const result = await this.deps.messages.cancel(id);
    if (result.applied && result.current) {
      this.log('MESSAGE_CANCELED', { messageId: id, tenantId });
      return { ok: true, record: result.current };
    }
    return { ok: false, why: 'too-late', status: result.current?.status ?? record.status };
  }

  /** DELETE /v1/messages/{id}: cancels a message that has not been submitted yet. */
  private async cancel(tenantId: string, id: string): Promise<APIGatewayProxyResult> {
    const result = await this.cancelMessage(tenantId, id);
    if (result.ok) return json(200, publicView(result.record));
    if (result.why === 'missing') return this.problem(404, 'not-found', `no message ${id}`);
    return this.problem(409, 'conflict', `message ${id} is ${result.status} and can no longer be canceled (only ACCEPTED, SCHEDULED, ROUTED or RETRYING messages can)`, { messageStatus: result.status });
  }

  private invalid(problems: FieldProblem[]): APIGatewayProxyResult {
    const detail = problems.map((p) => `${p.field}: ${p.problem}`).join('; ');
    this.log('REQUEST_REJECTED', { reason: 'validation-failed', fields: problems.map((p) => p.field) });
    return this.problem(422, 'validation-failed', detail, { errors: problems });
  }

  /** A single message refused by one of its tenant's rules (sender, destination): 422 naming the field. */
  private refused(result: Extract<TenantRuleResult, { ok: false }>): APIGatewayProxyResult {
    this.log('REQUEST_REJECTED', { reason: result.type, fields: result.problems.map((p) => p.field) });
    return this.problem(422, result.type, result.problems.map((p) => `${p.field}: ${p.problem}`).join('; '), { errors: result.problems });
  }

  /**
   * The SMS-pumping step: counts the messages that passed every check before it in their
   * tenant's hourly windows, and gives for each undefined (counted) or its refusal. A tenant
   * without `pumping` makes no request. `ids` are the messages' ids when the request has an
   * Idempotency-Key: a message stored already (`stored`, else read here) is a replay, not counted again.
   */
  /** Gives back the pumping counts of messages pumpingStep let through at `at` and the quota then refused. */
  private async releasePumping(tenantId: string, destinations: PumpingDestination[], at: Date): Promise<void> {
    const pumping = this.tenants.get(tenantId)!.config.pumping;
    if (pumping === undefined || destinations.length === 0) return;
    await releasePumping(this.deps.pumping, tenantId, pumping, destinations, at);
  }

  private async pumpingStep(tenantId: string, messages: ValidSubmission[], ids: string[], stored?: ReadonlySet<string>, at = this.now()): Promise<(PumpingRefusal | undefined)[]> {
    const pumping = this.tenants.get(tenantId)!.config.pumping;
    if (pumping === undefined || messages.length === 0) return messages.map(() => undefined);
    const existing = stored ?? new Set(ids.length > 0 ? (await this.deps.messages.getMany(ids)).map((r) => r.id) : []);
    const counted = messages.flatMap((v, i) => (ids[i] !== undefined && existing.has(ids[i]!) ? [] : [i]));
    const refusals = await countPumping(this.deps.pumping, tenantId, pumping, counted.map((i) => messages[i]!), at);
    const outcomes: (PumpingRefusal | undefined)[] = messages.map(() => undefined);
    refusals.forEach((refusal, k) => {
      if (!refusal) return;
      outcomes[counted[k]!] = refusal;
      this.deps.onSuspectedPumping?.(tenantId, refusal.country);
      this.log('SUSPECTED_PUMPING', { tenantId, to: messages[counted[k]!]!.to, window: refusal.window, country: refusal.country, limit: refusal.limit }, 'warn');
    });
    return outcomes;
  }

  private pumpingRefusal(refusal: PumpingRefusal, field: string): Extract<CheckedItem, { ok: false }> {
    const scope = refusal.window === 'country' ? `country ${refusal.country}` : 'this number range (the destination without its last 3 digits)';
    return { ok: false, type: 'suspected-pumping', problems: [{ field, problem: `the tenant may send ${refusal.limit} messages per hour to ${scope}, and has this hour` }], retryAfter: secondsToHourEnd(this.now()) };
  }

  private suspectedPumping(tenantId: string, refusal: PumpingRefusal): APIGatewayProxyResult {
    const item = this.pumpingRefusal(refusal, 'to');
    this.log('REQUEST_REJECTED', { reason: item.type, tenantId, fields: ['to'] });
    return this.problem(429, item.type, `to: ${item.problems[0]!.problem}; retry after ${item.retryAfter} seconds`, { errors: item.problems, limit: refusal.limit }, { 'retry-after': String(item.retryAfter) });
  }

  private keyReused(key: string | undefined): APIGatewayProxyResult {
    return this.problem(422, 'idempotency-key-reused', `Idempotency-Key ${JSON.stringify(key)} was used before with a different request body`, {
      errors: [{ field: 'Idempotency-Key', problem: 'already used with a different request body' }],
    });
  }
}

/** What accepting a stored record adds to its tenant's usage. */
function chargeOf(r: MessageRecord): Charge {
  return { segments: r.segments, spendMicros: r.price !== undefined ? toMicros(r.price) : 0, ...(r.country !== undefined ? { country: r.country } : {}) };
}

function quotaProblem(r: QuotaRefusal): string {
  return `the message would pass the ${r.quota} cap of ${r.limit} (${r.used} used); it resets at ${r.resetsAt}`;
}

/** The message as GET /v1/messages/{id} shows it (no text, no internal fields). */
export function publicView(r: MessageRecord) {
  return {
    id: r.id,
    status: r.status,
    to: r.to,
    ...(r.from !== undefined ? { from: r.from } : {}),
    ...(r.reference !== undefined ? { reference: r.reference } : {}),
    type: r.type,
    encoding: r.encoding,
    segments: r.segments,
    ...(r.price !== undefined ? { price: r.price, currency: r.currency } : {}),
    attempt: r.attempt,
    ...(r.carrierId !== undefined ? { carrierId: r.carrierId } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.smscIds !== undefined ? { smscIds: r.smscIds } : {}),
    ...(r.submittedAt !== undefined ? { submittedAt: r.submittedAt } : {}),
    ...(r.receipt !== undefined ? { receipt: r.receipt } : {}),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    validUntil: r.validUntil,
    ...(r.sendAt !== undefined ? { sendAt: r.sendAt } : {}),
    history: r.history,
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return out;
}

