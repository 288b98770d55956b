/**
 * GET …/Messages.json, Twilio's list on the /v1 list: its query (filters, paging) and its pages,
 * which the SDK follows by next_page_uri.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { parseTwilioListQuery } from '../../core/twilio/list';
import { messageSid } from '../../core/twilio/sid';
import { TwilioApi } from '../../core/twilio/twilio-api';
import { apiFixture, bodyOf, messageRecord, MOBILE, runtimeConfigFor, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilioTenants, type ApiFixture } from '../support/factories';

const LIST = `/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Messages.json`;

describe('parseTwilioListQuery', () => {
  it('maps To, From and the DateSent range onto the /v1 list query', () => {
    expect(parseTwilioListQuery({ To: MOBILE.GB, From: 'ACME', 'DateSent>': '2026-12-01T20:00:00Z', 'DateSent<': '2026-12-02' })).toMatchObject({
      ok: true,
      value: { query: { to: MOBILE.GB, from: 'ACME', since: '2026-12-01T20:00:00.000Z', until: '2026-12-03T00:00:00.000Z', limit: 50 }, page: 0, pageSize: 50 },
    });
  });

  it('reads DateSent as a whole UTC day, or the second of a date and time', () => {
    expect(parseTwilioListQuery({ DateSent: '2026-12-01' })).toMatchObject({ ok: true, value: { query: { since: '2026-12-01T00:00:00.000Z', until: '2026-12-02T00:00:00.000Z' } } });
    expect(parseTwilioListQuery({ DateSent: '2026-12-01T20:00:00Z' })).toMatchObject({ ok: true, value: { query: { since: '2026-12-01T20:00:00.000Z', until: '2026-12-01T20:00:01.000Z' } } });
  });

  it('cuts a PageSize over 100 to 100, the /v1 list’s largest page', () => {
    expect(parseTwilioListQuery({ PageSize: '1000' })).toMatchObject({ ok: true, value: { pageSize: 100, query: { limit: 100 } } });
  });

  it.each([
    ['an unknown parameter', { Status: 'sent' }],
    ['a DateSent that is no date', { DateSent: 'yesterday' }],
    ['a PageSize of 0', { PageSize: '0' }],
    ['a Page that is no number', { Page: 'two' }],
    ['a later Page without its PageToken', { Page: '2' }],
  ])('refuses %s with 20422', (_what, query) => {
    expect(parseTwilioListQuery(query)).toMatchObject({ ok: false, code: 20422 });
  });
});

describe('GET …/Messages.json', () => {
  let fixture: ApiFixture;
  let twilio: TwilioApi;
  const get = (query: Record<string, string> = {}) =>
    twilio.handle({ method: 'GET', path: LIST, headers: { authorization: `Basic ${Buffer.from(`${TWILIO_ACCOUNT_SID}:${TWILIO_AUTH_TOKEN}`).toString('base64')}` }, query, body: null });
  const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 20, minute)).toISOString();
  const ids = ['1', '2', '3'].map((n) => `0000000${n}-0000-8000-8000-000000000000`);

  beforeEach(async () => {
    fixture = await apiFixture({ tenants: twilioTenants() });
    twilio = new TwilioApi(fixture.api, (await runtimeConfigFor({ tenants: twilioTenants() })).tenants);
    ids.forEach((id, i) => fixture.messages.put(messageRecord({ id, createdAt: at(i), to: i === 2 ? MOBILE.GB_OTHER : MOBILE.GB })));
    fixture.messages.put(messageRecord({ id: '00000009-0000-8000-8000-000000000000', tenantId: 'globex', createdAt: at(5) }));
  });

  it('answers the tenant’s messages newest first, in Twilio’s page', async () => {
    const res = await get();
    expect(res.statusCode).toBe(200);
    const body = bodyOf(res);
    expect(body.messages.map((m: { sid: string }) => m.sid)).toEqual([ids[2], ids[1], ids[0]].map((id) => messageSid(id!)));
    expect(body).toMatchObject({ page: 0, page_size: 50, start: 0, end: 2, next_page_uri: null, previous_page_uri: null, first_page_uri: `${LIST}?PageSize=50&Page=0`, uri: `${LIST}?PageSize=50&Page=0` });
  });

  it('pages by PageSize, with a next_page_uri that carries the filters and the token', async () => {
    const first = bodyOf(await get({ To: MOBILE.GB, PageSize: '1' }));
    expect(first.messages.map((m: { sid: string }) => m.sid)).toEqual([messageSid(ids[1]!)]);
    const next = new URL(first.next_page_uri, 'https://api.test');
    expect(Object.fromEntries(next.searchParams)).toMatchObject({ To: MOBILE.GB, PageSize: '1', Page: '1', PageToken: expect.any(String) });
    const second = bodyOf(await get(Object.fromEntries(next.searchParams)));
    expect(second.messages.map((m: { sid: string }) => m.sid)).toEqual([messageSid(ids[0]!)]);
    expect(second).toMatchObject({ page: 1, start: 1, end: 1, next_page_uri: null });
  });

  it('filters by DateSent', async () => {
    const body = bodyOf(await get({ 'DateSent>': at(1) }));
    expect(body.messages.map((m: { sid: string }) => m.sid)).toEqual([messageSid(ids[2]!), messageSid(ids[1]!)]);
  });

  it('refuses a PageToken it did not give with 20422', async () => {
    const res = await get({ PageToken: 'nope', Page: '1' });
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res)).toMatchObject({ code: 20422, message: expect.stringMatching(/^PageToken: /) });
  });
});
