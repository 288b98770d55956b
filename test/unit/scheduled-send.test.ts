/**
 * Scheduled send and quiet hours through MessagesApi: sendAt on a single message, a batch and a
 * dry run, its validation, quiet-hours deferral, and what GET and DELETE make of a SCHEDULED message.
 */
import { describe, expect, it } from 'vitest';
import { firstDeadline } from '../../core/domain/deadlines';
import { API_KEYS, apiFixture, apiRequest, bodyOf, headerOf, messageRecord, MOBILE, NOW, submissionBody, TEST_API_URL } from '../support/factories';

const ACME = { id: 'acme', apiKeys: [API_KEYS.acme], rateLimitPerSecond: 1000 };
const GLOBEX = { id: 'globex', apiKeys: [API_KEYS.globex], rateLimitPerSecond: 1000 };
/** NOW is 12:00 in London: inside this window, which ends at 18:00 GMT. */
const AFTERNOON = { start: '09:00', end: '18:00' };
const quietFixture = () => apiFixture({ tenants: [{ ...ACME, quietHours: AFTERNOON }, GLOBEX] });
const inMinutes = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();
const send = (body: Record<string, unknown>, query: Record<string, string> = {}) => apiRequest({ body: submissionBody(body), query });
const batch = (messages: Record<string, unknown>[]) => apiRequest({ path: '/v1/messages/batch', body: { messages: messages.map(submissionBody) } });

describe('POST /v1/messages with sendAt', () => {
  it('answers 202 SCHEDULED with its sendAt, and stores it unrouted, its validity counted from sendAt', async () => {
    // Prepare
    const { api, messages, accepted } = await apiFixture();
    // Act
    const res = await api.handle(send({ sendAt: '2025-03-01T14:30:00+01:00', validitySeconds: 600 }));
    // Assess
    expect(res.statusCode).toBe(202);
    const body = bodyOf(res);
    expect(body).toEqual({ id: body.id, status: 'SCHEDULED', sendAt: '2025-03-01T13:30:00.000Z', encoding: 'GSM7', segments: 1 });
    const stored = (await messages.get(body.id))!;
    expect(stored).toMatchObject({ status: 'SCHEDULED', attempt: 0, sendAt: '2025-03-01T13:30:00.000Z', validUntil: '2025-03-01T13:40:00.000Z' });
    expect(stored).not.toHaveProperty('carrierId');
    expect(stored.history).toEqual([
      { status: 'ACCEPTED', at: NOW.toISOString() },
      { status: 'SCHEDULED', at: NOW.toISOString() },
    ]);
    expect(accepted.map((a) => a.route)).toEqual([undefined]);
    expect(firstDeadline(stored)).toBe('2025-03-01T13:30:00.000Z');
  });

  it('shows the sendAt on GET /v1/messages/{id}', async () => {
    // Prepare
    const { api } = await apiFixture();
    const { id } = bodyOf(await api.handle(send({ sendAt: inMinutes(5) })));
    // Act
    const res = await api.handle(apiRequest({ method: 'GET', path: `/v1/messages/${id}`, body: null }));
    // Assess
    expect(bodyOf(res)).toMatchObject({ id, status: 'SCHEDULED', sendAt: inMinutes(5) });
  });

  it('takes sendAt exactly one minute and exactly 35 days ahead', async () => {
    const { api } = await apiFixture();
    expect((await api.handle(send({ sendAt: inMinutes(1) }))).statusCode).toBe(202);
    expect((await api.handle(send({ sendAt: inMinutes(35 * 1440) }))).statusCode).toBe(202);
  });

  it.each([
    ['less than a minute ahead', inMinutes(0.5), 'sendAt must be at least 60 seconds ahead'],
    ['in the past', inMinutes(-10), 'sendAt must be at least 60 seconds ahead'],
    ['more than 35 days ahead', inMinutes(35 * 1440 + 1), 'sendAt must be at most 35 days ahead'],
    ['without an offset', '2025-03-01T13:00:00', 'sendAt must be an RFC 3339 date-time'],
    ['not a date-time', 'tomorrow', 'sendAt must be an RFC 3339 date-time'],
    ['an impossible date', '2025-02-30T13:00:00Z', 'sendAt must be an RFC 3339 date-time'],
  ])('refuses a sendAt %s with 422 naming the field, storing nothing', async (_name, sendAt, problem) => {
    // Prepare
    const { api, messages } = await apiFixture();
    // Act
    const res = await api.handle(send({ sendAt }));
    // Assess
    expect(res.statusCode).toBe(422);
    expect(bodyOf(res)).toMatchObject({ type: `${TEST_API_URL}/problems/validation-failed`, errors: [{ field: 'sendAt', problem: expect.stringContaining(problem) }] });
    expect(messages.all()).toEqual([]);
  });

  it('refuses a sendAt that is not a string with 422 naming the field', async () => {
    const { api } = await apiFixture();
    const res = await api.handle(send({ sendAt: 1767261600 }));
    expect(res.statusCode).toBe(422);
    expect(bodyOf(res).errors).toEqual([{ field: 'sendAt', problem: expect.any(String) }]);
  });

  it('a dry run reports the schedule and stores nothing', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    // Act
    const res = await api.handle(send({ sendAt: inMinutes(90) }, { dryRun: 'true' }));
    // Assess
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ dryRun: true, status: 'SCHEDULED', sendAt: inMinutes(90), route: { outcome: 'routed', carrierId: 'c-a' } });
    expect(messages.all()).toEqual([]);
  });
});

describe('Idempotency-Key replays of a scheduled message', () => {
  it('replays the first result after its sendAt has come too close to be taken again', async () => {
    // Prepare
    const { api, clock } = await apiFixture();
    const request = () => apiRequest({ headers: { 'idempotency-key': 'reminder-7' }, body: submissionBody({ sendAt: inMinutes(2) }) });
    const first = await api.handle(request());
    clock.now = new Date(NOW.getTime() + 90_000);
    // Act
    const again = await api.handle(request());
    // Assess
    expect(again.statusCode).toBe(202);
    expect(headerOf(again, 'idempotent-replayed')).toBe('true');
    expect(bodyOf(again)).toEqual(bodyOf(first));
  });

  it('replays a batch\'s scheduled message as stored, while the batch\'s other messages replay as usual', async () => {
    // Prepare
    const { api, clock, messages } = await apiFixture();
    const request = () => apiRequest({ path: '/v1/messages/batch', headers: { 'idempotency-key': 'campaign-3' }, body: { messages: [submissionBody({ sendAt: inMinutes(2) }), submissionBody()] } });
    const first = bodyOf(await api.handle(request()));
    clock.now = new Date(NOW.getTime() + 90_000);
    // Act
    const again = await api.handle(request());
    // Assess
    expect(again.statusCode).toBe(202);
    expect(bodyOf(again)).toEqual(first);
    expect(messages.all()).toHaveLength(2);
  });

  it('still refuses that sendAt for a new key', async () => {
    const { api, clock } = await apiFixture();
    await api.handle(apiRequest({ headers: { 'idempotency-key': 'reminder-8' }, body: submissionBody({ sendAt: inMinutes(2) }) }));
    clock.now = new Date(NOW.getTime() + 90_000);
    const other = await api.handle(apiRequest({ headers: { 'idempotency-key': 'reminder-9' }, body: submissionBody({ sendAt: inMinutes(2) }) }));
    expect(other.statusCode).toBe(422);
  });
});

describe('POST /v1/messages/batch with sendAt per message', () => {
  it('schedules each message that has a sendAt and routes the others at once', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    // Act
    const res = await api.handle(batch([{ sendAt: inMinutes(10) }, {}, { sendAt: inMinutes(20) }]));
    // Assess
    expect(res.statusCode).toBe(202);
    const results = bodyOf(res).results as Record<string, unknown>[];
    expect(results.map((r) => [r.status, r.sendAt])).toEqual([
      ['SCHEDULED', inMinutes(10)],
      ['ACCEPTED', undefined],
      ['SCHEDULED', inMinutes(20)],
    ]);
    const statuses = await Promise.all(results.map(async (r) => (await messages.get(String(r.id)))!.status));
    expect(statuses).toEqual(['SCHEDULED', 'ROUTED', 'SCHEDULED']);
  });

  it('refuses only the message whose sendAt is out of range, naming its index', async () => {
    const { api } = await apiFixture();
    const res = await api.handle(batch([{ sendAt: inMinutes(10) }, { sendAt: inMinutes(-1) }]));
    expect(res.statusCode).toBe(202);
    expect(bodyOf(res)).toMatchObject({ accepted: 1, rejected: 1, results: [{ outcome: 'accepted' }, { outcome: 'rejected', errors: [{ field: 'messages[1].sendAt' }] }] });
  });
});

describe('quiet hours', () => {
  it('defers a promotional message to the end of its destination\'s quiet hours: SCHEDULED, reason quiet_hours', async () => {
    // Prepare
    const { api, messages } = await quietFixture();
    // Act
    const res = await api.handle(send({ type: 'promotional', validitySeconds: 3600 }));
    // Assess
    expect(res.statusCode).toBe(202);
    const body = bodyOf(res);
    expect(body).toMatchObject({ status: 'SCHEDULED', reason: 'quiet_hours', sendAt: '2025-03-01T18:00:00.000Z' });
    expect(await messages.get(body.id)).toMatchObject({ status: 'SCHEDULED', reason: 'quiet_hours', sendAt: '2025-03-01T18:00:00.000Z', validUntil: '2025-03-01T19:00:00.000Z' });
  });

  it('sends a transactional message of the same tenant at once', async () => {
    const { api, messages } = await quietFixture();
    const { id } = bodyOf(await api.handle(send({ type: 'transactional' })));
    expect((await messages.get(id))!.status).toBe('ROUTED');
  });

  it('defers a promotional message whose sendAt falls in quiet hours to their end', async () => {
    const { api } = await quietFixture();
    const res = await api.handle(send({ type: 'promotional', sendAt: '2025-03-02T10:00:00Z' }));
    expect(bodyOf(res)).toMatchObject({ status: 'SCHEDULED', reason: 'quiet_hours', sendAt: '2025-03-02T18:00:00.000Z' });
  });

  it('keeps the sendAt of a promotional message after quiet hours', async () => {
    const { api } = await quietFixture();
    const body = bodyOf(await api.handle(send({ type: 'promotional', sendAt: '2025-03-01T19:00:00Z' })));
    expect(body).toMatchObject({ status: 'SCHEDULED', sendAt: '2025-03-01T19:00:00.000Z' });
    expect(body).not.toHaveProperty('reason');
  });

  it('reads the destination\'s own zone: 12:00 UTC is 13:00 in Berlin, still in the window, which ends at 17:00 UTC there', async () => {
    const { api } = await quietFixture();
    const res = await api.handle(send({ type: 'promotional', to: MOBILE.DE }));
    expect(bodyOf(res)).toMatchObject({ status: 'SCHEDULED', reason: 'quiet_hours', sendAt: '2025-03-01T17:00:00.000Z' });
  });

  it('a dry run reports the deferral', async () => {
    const { api, messages } = await quietFixture();
    const res = await api.handle(send({ type: 'promotional' }, { dryRun: 'true' }));
    expect(bodyOf(res)).toMatchObject({ dryRun: true, status: 'SCHEDULED', reason: 'quiet_hours', sendAt: '2025-03-01T18:00:00.000Z' });
    expect(messages.all()).toEqual([]);
  });

  it('does not defer a message of a tenant without quiet hours', async () => {
    const { api } = await apiFixture();
    expect(bodyOf(await api.handle(send({ type: 'promotional' })))).toMatchObject({ status: 'ACCEPTED' });
  });
});

describe('DELETE /v1/messages/{id} of a SCHEDULED message', () => {
  it('cancels it: CANCELED, its sendAt kept', async () => {
    // Prepare
    const { api, messages } = await apiFixture();
    const record = messageRecord({ status: 'SCHEDULED', sendAt: inMinutes(10) });
    messages.put(record);
    // Act
    const res = await api.handle(apiRequest({ method: 'DELETE', path: `/v1/messages/${record.id}`, body: null }));
    // Assess
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ status: 'CANCELED', reason: 'canceled_by_client', sendAt: inMinutes(10) });
    expect((await messages.get(record.id))!.status).toBe('CANCELED');
  });
});
