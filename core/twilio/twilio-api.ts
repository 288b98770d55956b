/**
 * The Twilio-compatible Messages API, beside /v1 in the same API and function:
 *
 *   POST /2010-04-01/Accounts/{AccountSid}/Messages.json        send (the /v1 submit pipeline)
 *   GET  /2010-04-01/Accounts/{AccountSid}/Messages.json        list, paged as Twilio pages (list.ts)
 *   GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json  fetch
 *   POST /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json  Status=canceled cancels
 *
 * Authenticated with HTTP Basic (basic-auth.ts), counted in the tenant's request rate as /v1
 * requests are, answered with Twilio's resources (resource.ts) and errors (errors.ts). Every
 * outcome is an answer of this API: nothing here throws for any input.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { MessagesApi } from '../api/messages-api';
import { OPTED_OUT_REASON } from '../api/opt-out-check';
import type { RuntimeTenant } from '../config/runtime';
import { IDEMPOTENCY_KEY_PATTERN } from '../domain/idempotency';
import type { MessageRecord } from '../domain/message';
import type { ApiRequest } from '../api/messages-api';
import { TwilioAccounts } from './basic-auth';
import { submissionFromTwilio } from './create-params';
import { authenticateError, fromProblem, TwilioCode, twilioError } from './errors';
import { isFormContentType, parseForm } from './form';
import { pageEnvelope, parseTwilioListQuery } from './list';
import { API_VERSION, twilioResource } from './resource';
import { messageIdOf } from './sid';

/** The first segment of every path of this API. */
export const TWILIO_PATH_PREFIX = `/${API_VERSION}`;

/** A form is larger than the JSON of the same message (%XX per byte): twice /v1's 16 KB. */
export const MAX_FORM_BODY_BYTES = 32 * 1024;

export function isTwilioPath(path: string): boolean {
  return path === TWILIO_PATH_PREFIX || path.startsWith(`${TWILIO_PATH_PREFIX}/`);
}

type Handler = (req: ApiRequest, tenantId: string, accountSid: string, sid?: string) => Promise<APIGatewayProxyResult>;

function header(req: ApiRequest, name: string): string | undefined {
  for (const [k, v] of Object.entries(req.headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

export class TwilioApi {
  private readonly accounts: TwilioAccounts;

  constructor(
    private readonly api: MessagesApi,
    tenants: readonly RuntimeTenant[],
    private readonly log: (event: string, data: Record<string, unknown>) => void = () => undefined,
  ) {
    this.accounts = new TwilioAccounts(tenants);
  }

  async handle(req: ApiRequest): Promise<APIGatewayProxyResult> {
    const path = req.path.replace(/\/+$/, '');
    const s = path.split('/').filter(Boolean);
    let methods: Record<string, Handler> | undefined;
    let sid: string | undefined;
    if (s.length === 4 && s[1] === 'Accounts' && s[3] === 'Messages.json') {
      methods = { GET: (r, t, a) => this.list(r, t, a), POST: (r, t, a) => this.create(r, t, a) };
    } else if (s.length === 5 && s[1] === 'Accounts' && s[3] === 'Messages' && s[4]!.endsWith('.json')) {
      sid = s[4]!.slice(0, -'.json'.length);
      methods = { GET: (r, t, a, m) => this.fetch(t, a, m!), POST: (r, t, a, m) => this.update(r, t, a, m!) };
    }
    if (!methods) return twilioError(404, TwilioCode.notFound, `The requested resource ${path} was not found`);
    const run = methods[req.method.toUpperCase()];
    if (!run) return twilioError(405, TwilioCode.methodNotAllowed, `Method not allowed: ${req.method} on ${path}; use ${Object.keys(methods).join(', ')}`, { allow: Object.keys(methods).join(', ') });
    const who = this.accounts.authenticate(header(req, 'authorization'));
    // The path names the account too: credentials of another account do not authenticate it.
    if (!who || who.accountSid !== s[2]) {
      this.log('REQUEST_REJECTED', { reason: 'unauthorized', api: 'twilio' });
      return authenticateError();
    }
    const limited = await this.api.rateLimit(who.tenantId, path);
    if (limited) return fromProblem(limited);
    return run(req, who.tenantId, who.accountSid, sid);
  }

  private readForm(req: ApiRequest): { ok: true; form: ReturnType<typeof parseForm> } | { ok: false; response: APIGatewayProxyResult } {
    if (!isFormContentType(header(req, 'content-type'))) {
      return { ok: false, response: twilioError(400, TwilioCode.invalidParameter, 'Content-Type: must be application/x-www-form-urlencoded') };
    }
    const size = Buffer.byteLength(req.body ?? '', 'utf8');
    if (size > MAX_FORM_BODY_BYTES) return { ok: false, response: twilioError(413, TwilioCode.invalidParameter, `the request body is ${size} bytes; the limit is ${MAX_FORM_BODY_BYTES} bytes`) };
    return { ok: true, form: parseForm(req.body) };
  }

  private async create(req: ApiRequest, tenantId: string, accountSid: string): Promise<APIGatewayProxyResult> {
    const key = header(req, 'i-twilio-idempotency-token');
    if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      return twilioError(400, TwilioCode.invalidParameter, 'I-Twilio-Idempotency-Token: must be 1-255 printable ASCII characters without spaces');
    }
    const read = this.readForm(req);
    if (!read.ok) return read.response;
    const translated = submissionFromTwilio(read.form);
    if (!translated.ok) {
      this.log('REQUEST_REJECTED', { reason: 'validation-failed', api: 'twilio' });
      return translated.response;
    }
    const outcome = await this.api.submitMessage(tenantId, translated.value, {
      idempotencyKey: key,
      route: `POST ${TWILIO_PATH_PREFIX}/Messages.json`,
      callbackFormat: 'twilio',
    });
    if (outcome.kind === 'answer') return fromProblem(outcome.response);
    // Twilio refuses a message to an unsubscribed recipient; ours is kept REJECTED (opted_out), for the record.
    if (isOptedOut(outcome.record)) return twilioError(400, TwilioCode.optedOut, 'Attempt to send to unsubscribed recipient');
    return resource(201, outcome.record, accountSid);
  }

  private async list(req: ApiRequest, tenantId: string, accountSid: string): Promise<APIGatewayProxyResult> {
    const parsed = parseTwilioListQuery(req.query);
    if (!parsed.ok) return twilioError(400, parsed.code, parsed.message);
    const r = parsed.value;
    const page = await this.api.listMessages({ ...r.query, tenantId });
    if (!page) return twilioError(400, TwilioCode.invalidParameter, 'PageToken: is not a token this API returned; follow next_page_uri as it is');
    const body = { messages: page.items.map((m) => twilioResource(m, accountSid)), ...pageEnvelope(accountSid, r, page.items.length, r.query.cursor, page.cursor) };
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  }

  private async fetch(tenantId: string, accountSid: string, sid: string): Promise<APIGatewayProxyResult> {
    const id = messageIdOf(sid);
    const record = id !== undefined ? await this.api.messageOf(tenantId, id) : undefined;
    if (!record) return notFound(accountSid, sid);
    return resource(200, record, accountSid);
  }

  /** Status=canceled cancels a message not yet submitted: scheduled as Twilio, and queued (ours can) too. */
  private async update(req: ApiRequest, tenantId: string, accountSid: string, sid: string): Promise<APIGatewayProxyResult> {
    const read = this.readForm(req);
    if (!read.ok) return read.response;
    for (const [key, values] of read.form) {
      if (key !== 'Status') return twilioError(400, TwilioCode.invalidParameter, `${key}: not supported on update; only Status=canceled is`);
      if (values.length !== 1 || values[0] !== 'canceled') return twilioError(400, TwilioCode.invalidParameter, `Status: must be "canceled", got ${JSON.stringify(values.join(','))}`);
    }
    if (!read.form.has('Status')) return twilioError(400, TwilioCode.invalidParameter, 'Status: is required; give Status=canceled');
    const id = messageIdOf(sid);
    if (id === undefined) return notFound(accountSid, sid);
    const result = await this.api.cancelMessage(tenantId, id);
    if (result.ok) return resource(200, result.record, accountSid);
    if (result.why === 'missing') return notFound(accountSid, sid);
    return twilioError(400, TwilioCode.cannotCancel, `This message cannot be canceled: it is ${result.status} (only messages not yet sent can be)`);
  }
}

function isOptedOut(record: MessageRecord): boolean {
  return record.status === 'REJECTED' && record.reason === OPTED_OUT_REASON;
}

function resource(status: number, record: MessageRecord, accountSid: string): APIGatewayProxyResult {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(twilioResource(record, accountSid)) };
}

function notFound(accountSid: string, sid: string): APIGatewayProxyResult {
  return twilioError(404, TwilioCode.notFound, `The requested resource /${API_VERSION}/Accounts/${accountSid}/Messages/${sid}.json was not found`);
}
