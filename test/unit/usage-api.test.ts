import { describe, expect, it } from 'vitest';
import { parseUsageQuery } from '../../core/api/usage-api';
import { acceptedCountsOf, groupStatusCounts, statusCountsOf, type StatusCount } from '../../core/domain/usage';
import { API_KEYS, apiFixture, apiRequest, bodyOf, headerOf, MOBILE, NOW, submissionBody, TEST_API_URL, type ApiFixture } from '../support/factories';

const PRICES = { currency: 'EUR', perSegment: { default: 0.05, GB: 0.04 }, carriers: { 'c-b': { DE: 0.07 } } };
const LONG_TEXT = 'x'.repeat(161); // two GSM-7 segments

function quotaTenants(quota: Record<string, number>) {
  return [
    { id: 'acme', apiKeys: [API_KEYS.acme], rateLimitPerSecond: 1000, quota },
    { id: 'globex', apiKeys: [API_KEYS.globex], rateLimitPerSecond: 1000 },
  ];
}

/** What the outbox adds for these changes, as it would: one write per tenant and day. */
async function addAsOutbox(usage: ApiFixture['usage'], counts: StatusCount[]) {
  for (const g of groupStatusCounts(counts)) await usage.addStatuses(g.tenantId, g.day, g.byGroup);
}

/** The outbox's counts of the stored records' INSERTs (a tenant without caps is counted there). */
const insertsOf = ({ messages }: ApiFixture) => messages.all().flatMap((r) => acceptedCountsOf('INSERT', { ...r, kind: 'message' }));

const usageRequest = (query: Record<string, string> = {}, apiKey: string = API_KEYS.acme) => apiRequest({ method: 'GET', path: '/v1/usage', query, headers: { 'x-api-key': apiKey }, body: null });

describe('prices on messages', () => {
  it('records price and currency at acceptance and shows them in GET and in a dry run', async () => {
    // Prepare
    const { api, messages } = await apiFixture({ prices: PRICES });
    // Act
    const accepted = bodyOf(await api.handle(apiRequest({ body: submissionBody({ text: LONG_TEXT }) })));
    const read = bodyOf(await api.handle(apiRequest({ method: 'GET', path: `/v1/messages/${accepted.id}`, body: null })));
    const dry = bodyOf(await api.handle(apiRequest({ query: { dryRun: 'true' }, body: submissionBody({ to: MOBILE.DE }) })));
    // Assess: 2 × GB 0.04; DE routed to c-b at its own 0.07
    expect(messages.all()[0]).toMatchObject({ segments: 2, price: 0.08, currency: 'EUR' });
    expect(read).toMatchObject({ price: 0.08, currency: 'EUR' });
    expect(dry).toMatchObject({ dryRun: true, segments: 1, price: 0.07, currency: 'EUR', route: { carrierId: 'c-b' } });
  });

  it('records no price without a price table', async () => {
    const { api, messages } = await apiFixture();
    await api.handle(apiRequest());
    expect(messages.all()[0]).not.toHaveProperty('price');
    expect(messages.all()[0]).not.toHaveProperty('currency');
  });
});

describe('quota-exceeded', () => {
  it('answers 429 with the cap, limit, used, resetsAt and Retry-After past the day’s cap, and stores nothing', async () => {
    // Prepare: 3 segments a day; 2 used
    const { api, messages, usage } = await apiFixture({ tenants: quotaTenants({ segmentsPerDay: 3 }) });
    expect((await api.handle(apiRequest({ body: submissionBody({ text: LONG_TEXT }) }))).statusCode).toBe(202);
    // Act: two more segments would make 4
    const res = await api.handle(apiRequest({ body: submissionBody({ text: LONG_TEXT }) }));
    // Assess
    expect(res.statusCode).toBe(429);
    expect(bodyOf(res)).toMatchObject({ type: `${TEST_API_URL}/problems/quota-exceeded`, quota: 'segmentsPerDay', limit: 3, used: 2, resetsAt: '2025-03-02T00:00:00.000Z' });
    expect(headerOf(res, 'retry-after')).toBe(String(12 * 3600));
    expect(messages.size).toBe(1);
    expect(usage.day('acme', '2025-03-01').total).toEqual({ messages: 1, segments: 2, spendMicros: 0 });
    // One more segment still fits, exactly at the cap.
    expect((await api.handle(apiRequest())).statusCode).toBe(202);
  });

  it('refuses a spend cap with the limit and used in the currency', async () => {
    const { api } = await apiFixture({ prices: PRICES, tenants: quotaTenants({ spendPerMonth: 0.1 }) });
    await api.handle(apiRequest());
    await api.handle(apiRequest());
    const res = await api.handle(apiRequest());
    expect(bodyOf(res)).toMatchObject({ quota: 'spendPerMonth', limit: 0.1, used: 0.08, resetsAt: '2025-04-01T00:00:00.000Z' });
  });

  it('accepts the first messages of a batch that fit and rejects the rest, naming the cap', async () => {
    // Prepare
    const { api, messages, usage } = await apiFixture({ tenants: quotaTenants({ segmentsPerMonth: 3 }) });
    const batch = { messages: [submissionBody(), submissionBody({ text: LONG_TEXT }), submissionBody({ to: 'nope' }), submissionBody()] };
    // Act
    const res = await api.handle(apiRequest({ path: '/v1/messages/batch', body: batch }));
    // Assess
    expect(res.statusCode).toBe(202);
    const body = bodyOf(res);
    expect(body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['accepted', 'accepted', 'rejected', 'rejected']);
    expect(body.results[3].errors).toEqual([{ field: 'messages[3]', problem: expect.stringContaining('segmentsPerMonth cap of 3') }]);
    expect(messages.size).toBe(2);
    expect(usage.day('acme', '2025-03-01').total.segments).toBe(3);
    // Nothing fits any more: the whole batch is refused with 429.
    const full = await api.handle(apiRequest({ path: '/v1/messages/batch', body: { messages: [submissionBody()] } }));
    expect(full.statusCode).toBe(429);
  });

  it('answers a replay with its first result although the quota is used up, and counts it once', async () => {
    const { api, usage } = await apiFixture({ tenants: quotaTenants({ segmentsPerDay: 1 }) });
    const key = { 'idempotency-key': 'replay-1' };
    const first = await api.handle(apiRequest({ headers: key }));
    const again = await api.handle(apiRequest({ headers: key }));
    expect(again.statusCode).toBe(202);
    expect(headerOf(again, 'idempotent-replayed')).toBe('true');
    expect(bodyOf(again)).toEqual(bodyOf(first));
    expect(usage.day('acme', '2025-03-01').total.messages).toBe(1);
  });

  it('gives back the counts of a replay when the quota has room, so usage equals what was accepted', async () => {
    const { api, usage } = await apiFixture({ tenants: quotaTenants({ segmentsPerDay: 1000 }) });
    const key = { 'idempotency-key': 'replay-2' };
    await api.handle(apiRequest({ headers: key }));
    await api.handle(apiRequest({ headers: key }));
    const batch = () => apiRequest({ path: '/v1/messages/batch', headers: { 'idempotency-key': 'replay-3' }, body: { messages: [submissionBody(), submissionBody()] } });
    expect((await api.handle(batch())).statusCode).toBe(202);
    expect((await api.handle(batch())).statusCode).toBe(202);
    expect(usage.day('acme', '2025-03-01').total.messages).toBe(3);
  });

  it('gives back the counts of a message whose put failed, and answers with the failure', async () => {
    const { api, messages, usage } = await apiFixture({ tenants: quotaTenants({ segmentsPerDay: 1000 }) });
    messages.create = () => Promise.reject(new Error('table unavailable'));
    await expect(api.handle(apiRequest())).rejects.toThrow('table unavailable');
    expect(usage.day('acme', '2025-03-01').total).toEqual({ messages: 0, segments: 0, spendMicros: 0 });
  });

  it('reports the percent of each cap used for the QuotaUsed metric', async () => {
    const { api, quotaUsed } = await apiFixture({ tenants: quotaTenants({ segmentsPerDay: 4, segmentsPerMonth: 10 }) });
    await api.handle(apiRequest({ body: submissionBody({ text: LONG_TEXT }) }));
    expect(quotaUsed).toEqual([
      { tenantId: 'acme', quota: 'segmentsPerDay', percent: 50 },
      { tenantId: 'acme', quota: 'segmentsPerMonth', percent: 20 },
    ]);
  });
});

describe('GET /v1/usage', () => {
  it('gives the tenant’s messages, segments and spend by day, by country and in total, equal to what was accepted', async () => {
    // Prepare: GB 2 segments at 0.04, DE 1 segment at c-b's 0.07, one invalid; another tenant's message
    const fixture = await apiFixture({ prices: PRICES });
    const { api, clock } = fixture;
    await api.handle(apiRequest({ body: submissionBody({ text: LONG_TEXT }) }));
    clock.now = new Date('2025-03-02T08:00:00.000Z');
    await api.handle(apiRequest({ path: '/v1/messages/batch', body: { messages: [submissionBody({ to: MOBILE.DE }), submissionBody({ to: 'nope' })] } }));
    await api.handle(apiRequest({ headers: { 'x-api-key': API_KEYS.globex } }));
    // acme has no caps: the outbox counts its messages' INSERTs.
    expect(fixture.usage.adds).toBe(0);
    await addAsOutbox(fixture.usage, insertsOf(fixture));
    // Act
    const byDay = bodyOf(await api.handle(usageRequest({ from: '2025-03-01', to: '2025-03-31' })));
    const byCountry = bodyOf(await api.handle(usageRequest({ from: '2025-03-01', to: '2025-03-31', groupBy: 'country' })));
    // Assess
    expect(byDay).toEqual({
      from: '2025-03-01',
      to: '2025-03-31',
      groupBy: 'day',
      currency: 'EUR',
      rows: [
        { day: '2025-03-01', messages: 1, segments: 2, spend: 0.08 },
        { day: '2025-03-02', messages: 1, segments: 1, spend: 0.07 },
      ],
      total: { messages: 2, segments: 3, spend: 0.15 },
    });
    expect(byCountry.rows).toEqual([
      { country: 'DE', messages: 1, segments: 1, spend: 0.07 },
      { country: 'GB', messages: 1, segments: 2, spend: 0.08 },
    ]);
  });

  it('by status: each message under the final status it reached, the rest PENDING', async () => {
    // Prepare: three accepted; the outbox saw one DELIVERED and one CANCELED
    const fixture = await apiFixture();
    const { api, usage } = fixture;
    for (let i = 0; i < 3; i++) await api.handle(apiRequest());
    const image = (status: string) => ({ kind: 'message', tenantId: 'acme', status, createdAt: NOW.toISOString(), segments: 1 });
    const counts = [...statusCountsOf('MODIFY', image('SUBMITTED'), image('DELIVERED')), ...statusCountsOf('MODIFY', image('ROUTED'), image('CANCELED'))];
    await addAsOutbox(usage, [...insertsOf(fixture), ...counts]);
    // Act
    const res = bodyOf(await api.handle(usageRequest({ groupBy: 'status' })));
    // Assess
    expect(res.rows).toEqual([
      { status: 'DELIVERED', messages: 1, segments: 1, spend: 0 },
      { status: 'CANCELED', messages: 1, segments: 1, spend: 0 },
      { status: 'PENDING', messages: 1, segments: 1, spend: 0 },
    ]);
    expect(res).not.toHaveProperty('currency');
  });

  it('defaults to this month up to today, by day', () => {
    expect(parseUsageQuery({}, NOW)).toEqual({ ok: true, value: { from: '2025-03-01', to: '2025-03-01', groupBy: 'day' } });
  });

  it.each([
    [{ from: '2025-3-1' }, 'from', 'must be a date YYYY-MM-DD'],
    [{ to: '2025-02-30' }, 'to', 'must be a date YYYY-MM-DD'],
    [{ to: 'tomorrow' }, 'to', 'must be a date YYYY-MM-DD'],
    [{ from: '2025-13-01', to: '2025-12-31' }, 'from', 'must be a date YYYY-MM-DD'],
    [{ groupBy: 'week' }, 'groupBy', 'must be one of day, country, status'],
    [{ from: '2025-03-02', to: '2025-03-01' }, 'from', 'must not be after to (2025-03-01)'],
    [{ from: '2024-01-01', to: '2025-01-01' }, 'to', 'the range is at most 366 days, got 367'],
  ])('answers 400 naming the field for %j', async (query, field, problem) => {
    const { api } = await apiFixture();
    const res = await api.handle(usageRequest(query as Record<string, string>));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res)).toMatchObject({ type: `${TEST_API_URL}/problems/validation-failed`, errors: [{ field, problem }] });
  });

  it('takes a range of exactly 366 days', () => {
    expect(parseUsageQuery({ from: '2024-01-01', to: '2024-12-31' }, NOW).ok).toBe(true);
  });
});

describe('status counts from the table stream', () => {
  const image = (status: string, extra: Record<string, unknown> = {}) => ({ kind: 'message', tenantId: 'acme', status, createdAt: '2025-03-01T23:59:59.000Z', segments: 2, price: 0.08, ...extra });

  it('adds a message to the final status it reaches, on its acceptance day', () => {
    expect(statusCountsOf('MODIFY', image('SUBMITTED'), image('DELIVERED'))).toEqual([
      { tenantId: 'acme', day: '2025-03-01', group: 'DELIVERED', sign: 1, figures: { messages: 1, segments: 2, spendMicros: 80_000 } },
    ]);
  });

  it('moves a late submission out of CANCELED again, so it counts once under its receipt’s status', () => {
    const counts = [...statusCountsOf('MODIFY', image('ROUTED'), image('CANCELED')), ...statusCountsOf('MODIFY', image('CANCELED'), image('SUBMITTED')), ...statusCountsOf('MODIFY', image('SUBMITTED'), image('DELIVERED'))];
    const [group] = groupStatusCounts(counts);
    expect(Object.fromEntries(group!.byGroup)).toEqual({ DELIVERED: { messages: 1, segments: 2, spendMicros: 80_000 } });
  });

  it('counts the insert of a message the API did not count in the day’s totals and its country’s', () => {
    expect(acceptedCountsOf('INSERT', image('ROUTED', { country: 'GB' })).map((c) => [c.group, c.figures])).toEqual([
      ['', { messages: 1, segments: 2, spendMicros: 80_000 }],
      ['GB', { messages: 1, segments: 2, spendMicros: 80_000 }],
    ]);
    expect(acceptedCountsOf('INSERT', image('ACCEPTED')).map((c) => c.group)).toEqual(['', 'ZZ']);
  });

  it('leaves out of the totals an insert the API counted (a tenant with caps) and one stored final (opted out)', () => {
    expect(acceptedCountsOf('INSERT', image('ROUTED', { usageCounted: true }))).toEqual([]);
    expect(acceptedCountsOf('INSERT', image('REJECTED'))).toEqual([]);
    expect(acceptedCountsOf('MODIFY', image('ROUTED'))).toEqual([]);
  });

  it('counts no status for an insert, a change within the non-final statuses, a removal, or another item', () => {
    expect(statusCountsOf('INSERT', undefined, image('REJECTED'))).toEqual([]);
    expect(statusCountsOf('MODIFY', image('ROUTED'), image('SUBMITTED'))).toEqual([]);
    expect(statusCountsOf('MODIFY', image('DELIVERED'), image('DELIVERED', { updatedAt: 'later' }))).toEqual([]);
    expect(statusCountsOf('REMOVE', image('DELIVERED'), undefined)).toEqual([]);
    expect(statusCountsOf('MODIFY', { kind: 'retry-timer' }, { kind: 'retry-timer' })).toEqual([]);
  });

  it('groups an invocation’s counts into one change per tenant and day', () => {
    const other = (status: string) => image(status, { tenantId: 'globex', createdAt: '2025-03-02T00:00:00.000Z' });
    const groups = groupStatusCounts([
      ...statusCountsOf('MODIFY', image('SUBMITTED'), image('DELIVERED')),
      ...statusCountsOf('MODIFY', image('SUBMITTED'), image('UNDELIVERED')),
      ...statusCountsOf('MODIFY', other('ROUTED'), other('FAILED')),
    ]);
    expect(groups.map((g) => [g.tenantId, g.day, [...g.byGroup.keys()]])).toEqual([
      ['acme', '2025-03-01', ['DELIVERED', 'UNDELIVERED']],
      ['globex', '2025-03-02', ['FAILED']],
    ]);
  });
});
