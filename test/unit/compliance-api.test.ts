/**
 * The tenant rules through MessagesApi: sender ids, destinations and SMS-pumping limits, for a
 * single message, a batch and a dry run.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { API_KEYS, apiFixture, apiRequest, bodyOf, headerOf, MOBILE, NOW, submissionBody, TEST_API_URL } from '../support/factories';

const ACME = { id: 'acme', apiKeys: [API_KEYS.acme], rateLimitPerSecond: 1000, numbers: ['+447700900000'], senders: ['ACME'], defaultSender: 'ACME', countries: { block: ['DE'] } };
const GLOBEX = { id: 'globex', apiKeys: [API_KEYS.globex], rateLimitPerSecond: 1000 };
const PUMPING = { perCountryPerHour: { default: 1000 }, perPrefixPerHour: 2 };

const fixture = (acme: Record<string, unknown> = {}) => apiFixture({ tenants: [{ ...ACME, ...acme }, GLOBEX] });
const send = (body: Record<string, unknown>, query: Record<string, string> = {}) => apiRequest({ body: submissionBody(body), query });
const batch = (messages: Record<string, unknown>[], key = API_KEYS.acme) => apiRequest({ path: '/v1/messages/batch', body: { messages: messages.map(submissionBody) }, headers: { 'x-api-key': key } });
const typeOf = (res: APIGatewayProxyResult) => String(bodyOf(res).type).replace(`${TEST_API_URL}/problems/`, '');
/** Seconds from NOW (12:00:00) to the end of its hour. */
const TO_HOUR_END = String(3600 - ((NOW.getTime() / 1000) % 3600));

describe('sender ids', () => {
  it('answer another sender 422 sender-not-allowed naming from, and store nothing', async () => {
    const f = await fixture();
    const res = await f.api.handle(send({ from: 'GLOBEX' }));
    expect(res.statusCode).toBe(422);
    expect(typeOf(res)).toBe('sender-not-allowed');
    expect(bodyOf(res).errors).toEqual([{ field: 'from', problem: 'from is not one of the tenant’s senders or numbers' }]);
    expect(f.messages.size).toBe(0);
  });

  it('store a message without from with the default sender', async () => {
    const f = await fixture();
    expect((await f.api.handle(send({ from: undefined }))).statusCode).toBe(202);
    expect(f.messages.all()[0]!.from).toBe('ACME');
  });

  it('answer a dry run with the same refusal', async () => {
    const f = await fixture();
    const res = await f.api.handle(send({ from: 'GLOBEX' }, { dryRun: 'true' }));
    expect([res.statusCode, typeOf(res)]).toEqual([422, 'sender-not-allowed']);
  });
});

describe('destinations', () => {
  it('answer a blocked country and a premium-rate number 422 destination-not-allowed naming to', async () => {
    const f = await fixture();
    for (const to of [MOBILE.DE, '+449098790000']) {
      const res = await f.api.handle(send({ to }));
      expect([res.statusCode, typeOf(res), bodyOf(res).errors[0].field]).toEqual([422, 'destination-not-allowed', 'to']);
    }
    expect(f.messages.size).toBe(0);
  });

  it('refuse a toll-free number for a tenant without countries too', async () => {
    const f = await fixture();
    const res = await f.api.handle(apiRequest({ body: submissionBody({ to: '+448001234567' }), headers: { 'x-api-key': API_KEYS.globex } }));
    expect([res.statusCode, typeOf(res)]).toEqual([422, 'destination-not-allowed']);
  });

  it('report a refused message of a batch in its result with its problem type, and accept the others', async () => {
    const f = await fixture();
    const res = await f.api.handle(batch([{ to: MOBILE.GB }, { to: MOBILE.DE }, { to: MOBILE.GB, from: 'NOPE' }, { to: 'x' }]));
    expect(res.statusCode).toBe(202);
    expect(bodyOf(res).results.map((r: { outcome: string; type?: string }) => r.type ?? r.outcome)).toEqual(['accepted', 'destination-not-allowed', 'sender-not-allowed', 'validation-failed']);
    expect(bodyOf(res).results[1].errors).toEqual([{ field: 'messages[1].to', problem: expect.any(String) }]);
    expect(f.messages.size).toBe(1);
  });

  it('answer a batch whose every message is refused for one reason with that problem type', async () => {
    const f = await fixture();
    const res = await f.api.handle(batch([{ to: MOBILE.DE }, { to: MOBILE.DE }]));
    expect([res.statusCode, typeOf(res)]).toEqual([422, 'destination-not-allowed']);
  });
});

describe('SMS-pumping limits', () => {
  it('answer the message past the prefix limit 429 suspected-pumping with Retry-After to the end of the hour, store nothing of it, and count it for the metric', async () => {
    const f = await fixture({ pumping: PUMPING });
    const statuses = [];
    for (const to of ['+447400123001', '+447400123002', '+447400123003']) statuses.push((await f.api.handle(send({ to }))).statusCode);
    expect(statuses).toEqual([202, 202, 429]);
    const res = await f.api.handle(send({ to: '+447400123004' }));
    expect(typeOf(res)).toBe('suspected-pumping');
    expect(bodyOf(res)).toMatchObject({ errors: [{ field: 'to' }], limit: 2 });
    expect(headerOf(res, 'retry-after')).toBe(TO_HOUR_END);
    expect(f.messages.size).toBe(2);
    expect(f.suspectedPumping).toEqual([
      { tenantId: 'acme', country: 'GB' },
      { tenantId: 'acme', country: 'GB' },
    ]);
  });

  it('count nothing for a tenant without pumping, nor for a message another rule refused', async () => {
    const f = await fixture({ pumping: PUMPING });
    await f.api.handle(apiRequest({ headers: { 'x-api-key': API_KEYS.globex } }));
    await f.api.handle(send({ from: 'NOPE' }));
    expect(f.pumping.takes).toEqual([]);
  });

  it('do not count a replay with the same Idempotency-Key again', async () => {
    const f = await fixture({ pumping: { perPrefixPerHour: 1 } });
    const keyed = () => apiRequest({ body: submissionBody({ to: MOBILE.GB }), headers: { 'idempotency-key': 'k-1' } });
    expect((await f.api.handle(keyed())).statusCode).toBe(202);
    const replay = await f.api.handle(keyed());
    expect([replay.statusCode, headerOf(replay, 'idempotent-replayed')]).toEqual([202, 'true']);
    expect(f.pumping.takes).toHaveLength(1);
  });

  it('give each message of a batch its own outcome, and answer 429 when the limit refuses every one', async () => {
    const f = await fixture({ pumping: PUMPING });
    const first = await f.api.handle(batch([{ to: '+447400123001' }, { to: '+447400123002' }, { to: '+447400123003' }]));
    expect(first.statusCode).toBe(202);
    expect(bodyOf(first).results.map((r: { outcome: string }) => r.outcome)).toEqual(['accepted', 'accepted', 'rejected']);
    expect(bodyOf(first).results[2]).toMatchObject({ type: 'suspected-pumping', errors: [{ field: 'messages[2].to' }], retryAfter: Number(TO_HOUR_END) });
    const second = await f.api.handle(batch([{ to: '+447400123004' }]));
    expect([second.statusCode, typeOf(second), headerOf(second, 'retry-after')]).toEqual([429, 'suspected-pumping', TO_HOUR_END]);
  });

  it('give back the counts of messages the quota then refused, so that a tenant past its quota does not fill its pumping windows too', async () => {
    // Prepare: 3 messages an hour per number range, 2 segments a day.
    const f = await fixture({ pumping: { ...PUMPING, perPrefixPerHour: 3 }, quota: { segmentsPerDay: 2 } });
    const range = ['+447400123001', '+447400123002', '+447400123003', '+447400123004'];
    // Act: two fit the quota; the third (single) and a batch of one fit the range's limit but are refused by the quota.
    const statuses = [];
    for (const to of range.slice(0, 3)) statuses.push((await f.api.handle(send({ to }))).statusCode);
    const batched = await f.api.handle(batch([{ to: range[3] }]));
    // Assess: refused by the quota, never by pumping, and the windows hold the two accepted only.
    expect([...statuses, batched.statusCode]).toEqual([202, 202, 429, 429]);
    expect(typeOf(batched)).toBe('quota-exceeded');
    expect(f.suspectedPumping).toEqual([]);
    expect([...f.pumping.counts.values()]).toEqual([2, 2]);
  });

  it('do not count a dry run', async () => {
    const f = await fixture({ pumping: PUMPING });
    expect((await f.api.handle(send({}, { dryRun: 'true' }))).statusCode).toBe(200);
    expect(f.pumping.takes).toEqual([]);
  });
});
