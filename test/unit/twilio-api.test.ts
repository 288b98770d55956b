/**
 * The Twilio-compatible API (TwilioApi) over the /v1 pipeline with in-memory stores: HTTP Basic,
 * the three routes, Twilio's resources and errors, and what it stores.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../core/api/messages-api';
import { messageSid } from '../../core/twilio/sid';
import { TwilioApi } from '../../core/twilio/twilio-api';
import {
  apiFixture,
  bodyOf,
  messageRecord,
  MOBILE,
  runtimeConfigFor,
  TWILIO_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN,
  TWILIO_OTHER_SID,
  TWILIO_OTHER_TOKEN,
  twilioTenants,
  type ApiFixture,
} from '../support/factories';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const MESSAGES = `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Messages`;

function twilioRequest(overrides: { method?: string; path?: string; params?: Record<string, string>; headers?: Record<string, string | undefined>; body?: string | null } = {}): ApiRequest {
  const headers: Record<string, string | undefined> = {
    authorization: basic(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN),
    'content-type': 'application/x-www-form-urlencoded',
    ...overrides.headers,
  };
  for (const [k, v] of Object.entries(headers)) if (v === undefined) delete headers[k];
  const body = overrides.body !== undefined ? overrides.body : new URLSearchParams(overrides.params ?? { To: MOBILE.GB, From: '+447700900000', Body: 'Your code is 123456' }).toString();
  return { method: overrides.method ?? 'POST', path: overrides.path ?? `${MESSAGES}.json`, headers, query: {}, body };
}

let fixture: ApiFixture;
let twilio: TwilioApi;

async function setUp(tenants = twilioTenants()): Promise<void> {
  fixture = await apiFixture({ tenants });
  twilio = new TwilioApi(fixture.api, (await runtimeConfigFor({ tenants })).tenants);
}

beforeEach(() => setUp());

describe('TwilioApi authentication', () => {
  it.each([
    ['no credentials', { authorization: undefined }],
    ['a wrong token', { authorization: basic(TWILIO_ACCOUNT_SID, 'not-the-token-0123456789') }],
    ['malformed credentials', { authorization: 'Basic %%%' }],
    ['another account’s credentials on this account’s path', { authorization: basic(TWILIO_OTHER_SID, TWILIO_OTHER_TOKEN) }],
  ])('answers %s with 401 and code 20003, and stores nothing', async (_what, headers) => {
    const res = await twilio.handle(twilioRequest({ headers }));
    expect(res.statusCode).toBe(401);
    expect(res.headers?.['www-authenticate']).toBe('Basic realm="Twilio API"');
    expect(bodyOf(res)).toEqual({ code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
    expect(fixture.messages.size).toBe(0);
  });

  it('counts requests in the tenant’s rate limit, answering 429 with code 20429 past it', async () => {
    await setUp([{ ...twilioTenants()[0]!, rateLimitPerSecond: 1 }]);
    expect((await twilio.handle(twilioRequest())).statusCode).toBe(201);
    const res = await twilio.handle(twilioRequest());
    expect(res.statusCode).toBe(429);
    expect(bodyOf(res)).toMatchObject({ code: 20429, status: 429 });
    expect(res.headers?.['retry-after']).toBe('1');
  });
});

describe('TwilioApi routes', () => {
  it.each([
    ['an unknown path', 'GET', '/2010-04-01/Accounts'],
    ['a resource of another kind', 'GET', `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Calls.json`],
  ])('answers %s with 404 and code 20404', async (_what, method, path) => {
    const res = await twilio.handle(twilioRequest({ method, path }));
    expect(res.statusCode).toBe(404);
    expect(bodyOf(res)).toMatchObject({ code: 20404, status: 404 });
  });

  it('answers a method a path does not take with 405, code 20004 and Allow', async () => {
    const res = await twilio.handle(twilioRequest({ method: 'DELETE', path: `${MESSAGES}/${messageSid(messageRecord().id)}.json` }));
    expect(res.statusCode).toBe(405);
    expect(res.headers?.allow).toBe('GET, POST');
    expect(bodyOf(res)).toMatchObject({ code: 20004 });
  });
});

describe('POST …/Messages.json', () => {
  it('stores the message through the /v1 pipeline and answers 201 with its resource', async () => {
    const res = await twilio.handle(twilioRequest());
    expect(res.statusCode).toBe(201);
    const [record] = fixture.messages.all();
    expect(bodyOf(res)).toMatchObject({ sid: messageSid(record!.id), account_sid: TWILIO_ACCOUNT_SID, status: 'queued', to: MOBILE.GB, from: '+447700900000', body: 'Your code is 123456', num_segments: '1', direction: 'outbound-api', price: null });
    expect(record).toMatchObject({ tenantId: 'acme', to: MOBILE.GB, from: '+447700900000', text: 'Your code is 123456' });
    expect(record!.callbackFormat).toBeUndefined();
  });

  it('marks the callback of a message with a StatusCallback as Twilio’s form', async () => {
    const res = await twilio.handle(twilioRequest({ params: { To: MOBILE.GB, From: 'ACME', Body: 'Hi', StatusCallback: 'https://hooks.acme.example/twilio' } }));
    expect(res.statusCode).toBe(201);
    expect(fixture.messages.all()[0]).toMatchObject({ callbackUrl: 'https://hooks.acme.example/twilio', callbackFormat: 'twilio' });
  });

  it('replays a request with the same I-Twilio-Idempotency-Token: the same message, stored once', async () => {
    const headers = { 'i-twilio-idempotency-token': 'order-42' };
    const first = await twilio.handle(twilioRequest({ headers }));
    const second = await twilio.handle(twilioRequest({ headers }));
    expect(second.statusCode).toBe(201);
    expect(bodyOf(second).sid).toBe(bodyOf(first).sid);
    expect(fixture.messages.size).toBe(1);
  });

  it('refuses a token reused with another body, naming the header', async () => {
    const headers = { 'i-twilio-idempotency-token': 'order-42' };
    await twilio.handle(twilioRequest({ headers }));
    const res = await twilio.handle(twilioRequest({ headers, params: { To: MOBILE.GB, From: 'ACME', Body: 'Other' } }));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res)).toMatchObject({ code: 20422, message: expect.stringMatching(/^I-Twilio-Idempotency-Token: /) });
  });

  it.each([
    ['an invalid To', { To: '+44', From: 'ACME', Body: 'x' }, 21211],
    ['a From that is no sender id', { To: MOBILE.GB, From: 'this-is-far-too-long', Body: 'x' }, 21212],
    ['a Body over the segment limit', { To: MOBILE.GB, From: 'ACME', Body: 'x'.repeat(1601) }, 21617],
    ['a StatusCallback that is not an http(s) URL', { To: MOBILE.GB, From: 'ACME', Body: 'x', StatusCallback: 'ftp://example.com' }, 21609],
  ])('refuses %s with 400 and code %i, storing nothing', async (_what, params, code) => {
    const res = await twilio.handle(twilioRequest({ params }));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res)).toMatchObject({ code, status: 400, more_info: `https://www.twilio.com/docs/errors/${code}` });
    expect(fixture.messages.size).toBe(0);
  });

  it('refuses a body that is not a form, and one over 32 KB', async () => {
    expect(bodyOf(await twilio.handle(twilioRequest({ headers: { 'content-type': 'application/json' }, body: '{}' })))).toMatchObject({ code: 20422, status: 400 });
    const big = await twilio.handle(twilioRequest({ body: `Body=${'x'.repeat(33 * 1024)}` }));
    expect(big.statusCode).toBe(413);
  });

  it('answers a message to an opted-out number with 21610, as Twilio, keeping it REJECTED for the record', async () => {
    await fixture.optOuts.optOut('acme', { number: MOBILE.GB, source: 'api', at: new Date() });
    const res = await twilio.handle(twilioRequest());
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res)).toMatchObject({ code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    expect(fixture.messages.all()[0]).toMatchObject({ status: 'REJECTED', reason: 'opted_out' });
  });

  it('sends from the tenant’s default sender when given a MessagingServiceSid', async () => {
    await setUp([{ ...twilioTenants()[0]!, defaultSender: 'ACME' }]);
    const res = await twilio.handle(twilioRequest({ params: { To: MOBILE.GB, MessagingServiceSid: `MG${'0'.repeat(32)}`, Body: 'Hi' } }));
    expect(res.statusCode).toBe(201);
    expect(bodyOf(res).from).toBe('ACME');
  });
});

describe('GET …/Messages/{Sid}.json', () => {
  it('answers the tenant’s message as its resource', async () => {
    const record = messageRecord({ status: 'SUBMITTED', submittedAt: '2025-03-01T12:00:02.000Z' });
    fixture.messages.put(record);
    const res = await twilio.handle(twilioRequest({ method: 'GET', path: `${MESSAGES}/${messageSid(record.id)}.json`, body: null }));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ sid: messageSid(record.id), status: 'sent', date_sent: 'Sat, 01 Mar 2025 12:00:02 +0000' });
  });

  it.each([
    ['a SID no message has', messageSid('00000000-0000-8000-8000-000000000000')],
    ['a malformed SID', 'SMnot-a-sid'],
    ['another tenant’s message', messageSid(messageRecord({ tenantId: 'globex' }).id)],
  ])('answers %s with 404 and code 20404', async (_what, sid) => {
    fixture.messages.put(messageRecord({ tenantId: 'globex' }));
    const res = await twilio.handle(twilioRequest({ method: 'GET', path: `${MESSAGES}/${sid}.json`, body: null }));
    expect(res.statusCode).toBe(404);
    expect(bodyOf(res)).toMatchObject({ code: 20404 });
  });
});

describe('POST …/Messages/{Sid}.json', () => {
  const update = (sid: string, params: Record<string, string>) => twilio.handle(twilioRequest({ path: `${MESSAGES}/${sid}.json`, params }));

  it('cancels a message not yet sent with Status=canceled', async () => {
    const record = messageRecord({ status: 'ROUTED' });
    fixture.messages.put(record);
    const res = await update(messageSid(record.id), { Status: 'canceled' });
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res).status).toBe('canceled');
    expect((await fixture.messages.get(record.id))!.status).toBe('CANCELED');
  });

  it('answers 30409 for a message already sent, and leaves it as it is', async () => {
    const record = messageRecord({ status: 'SUBMITTED' });
    fixture.messages.put(record);
    const res = await update(messageSid(record.id), { Status: 'canceled' });
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res)).toMatchObject({ code: 30409 });
    expect((await fixture.messages.get(record.id))!.status).toBe('SUBMITTED');
  });

  it.each([
    ['another Status', { Status: 'sent' }],
    ['a Body (redaction is not supported)', { Body: '' }],
    ['no Status', {}],
  ])('refuses %s with 20422', async (_what, params) => {
    const record = messageRecord({ status: 'ROUTED' });
    fixture.messages.put(record);
    const res = await update(messageSid(record.id), params);
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res)).toMatchObject({ code: 20422 });
  });

  it('answers a SID no message has with 404', async () => {
    expect((await update(messageSid('00000000-0000-8000-8000-000000000000'), { Status: 'canceled' })).statusCode).toBe(404);
  });
});
