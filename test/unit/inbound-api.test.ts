/**
 * GET /v1/inbound and GET /v1/inbound/{id} over the in-memory inbound store: newest first, paged
 * with an opaque cursor, filtered by to, from and since, the tenant's own messages only; every
 * bad parameter a 400 naming its field.
 */
import { describe, expect, it } from 'vitest';
import { decodeInboundCursor, encodeInboundCursor, parseInboundQuery } from '../../core/api/inbound-api';
import type { StoredInbound } from '../../core/aws/inbound-store';
import { API_KEYS, apiFixture, apiRequest } from '../support/factories';

const hex = (n: number) => n.toString(16).padStart(32, '0');
const message = (n: number, overrides: Partial<StoredInbound> = {}): StoredInbound => ({
  id: hex(n),
  carrierId: 'sim-a',
  from: '+447700900123',
  to: '+447700900000',
  text: `reply ${n}`,
  parts: 1,
  receivedAt: new Date(Date.parse('2026-12-01T12:00:00.000Z') + n * 1000).toISOString(),
  tenantId: 'acme',
  ...overrides,
});
const get = (path: string, query: Record<string, string> = {}, key = API_KEYS.acme) => apiRequest({ method: 'GET', path, query, body: null, headers: { 'x-api-key': key } });

describe('parseInboundQuery', () => {
  it('reads the filters: to in each form an SMSC writes it, from, since as an ISO time, and the limit', () => {
    expect(parseInboundQuery({ to: '+447700900000', from: '+447700900123', since: '2026-12-01T13:00:00+01:00', limit: '10' })).toEqual({
      ok: true,
      page: { limit: 10, to: ['+447700900000', '447700900000'], from: '+447700900123', since: '2026-12-01T12:00:00.000Z' },
    });
    expect(parseInboundQuery({ to: '60100' })).toEqual({ ok: true, page: { limit: 50, to: ['60100', '+60100'] } });
  });

  it('names every field at fault', () => {
    const parsed = parseInboundQuery({ to: 'acme', from: '07700900123', since: 'yesterday', limit: '0', cursor: 'nope' });
    expect(parsed.ok ? [] : parsed.problems.map((p) => p.field)).toEqual(['limit', 'to', 'from', 'since', 'cursor']);
  });

  it('takes back only a cursor it made', () => {
    const key = `2026-12-01T12:00:00.000Z#${hex(1)}`;
    expect(decodeInboundCursor(encodeInboundCursor(key))).toBe(key);
    expect(decodeInboundCursor(encodeInboundCursor('OPTOUT#acme'))).toBeNull();
    expect(decodeInboundCursor('%%%')).toBeNull();
  });
});

describe('GET /v1/inbound', () => {
  it('lists the tenant’s messages newest first, page by page, and no other tenant’s', async () => {
    // Prepare
    const { api, inbound } = await apiFixture();
    inbound.add(message(1), message(2), message(3), message(4, { tenantId: 'globex' }));

    // Act
    const first = await api.handle(get('/v1/inbound', { limit: '2' }));
    const cursor = JSON.parse(first.body).nextCursor;
    const second = await api.handle(get('/v1/inbound', { limit: '2', cursor }));

    // Assess
    expect(first.statusCode).toBe(200);
    expect(JSON.parse(first.body).inbound.map((m: StoredInbound) => m.id)).toEqual([hex(3), hex(2)]);
    expect(JSON.parse(second.body)).toEqual({ inbound: [{ id: hex(1), from: '+447700900123', to: '+447700900000', text: 'reply 1', parts: 1, carrierId: 'sim-a', receivedAt: message(1).receivedAt, tenantId: 'acme' }] });
  });

  it('passes the filters to the store', async () => {
    const { api, inbound } = await apiFixture();
    await api.handle(get('/v1/inbound', { from: '+447700900123', since: '2026-12-01T12:00:02Z' }));
    expect(inbound.pages).toEqual([{ tenantId: 'acme', page: { limit: 50, from: '+447700900123', since: '2026-12-01T12:00:02.000Z' } }]);
  });

  it('answers a bad filter 400, naming the field, and asks the store nothing', async () => {
    const { api, inbound } = await apiFixture();
    const res = await api.handle(get('/v1/inbound', { since: '1 December' }));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).errors).toEqual([{ field: 'since', problem: expect.stringContaining('RFC 3339') }]);
    expect(inbound.pages).toEqual([]);
  });
});

describe('GET /v1/inbound/{id}', () => {
  it('returns the tenant’s message, and 404 for another tenant’s, an unowned one, or an id of another form', async () => {
    const { api, inbound } = await apiFixture();
    const { tenantId: _none, ...unowned } = message(3);
    inbound.add(message(1), message(2, { tenantId: 'globex' }), unowned);
    const own = await api.handle(get(`/v1/inbound/${hex(1)}`));
    expect(own.statusCode).toBe(200);
    expect(JSON.parse(own.body)).toMatchObject({ id: hex(1), text: 'reply 1', tenantId: 'acme' });
    for (const id of [hex(2), hex(3), 'not-an-id']) expect((await api.handle(get(`/v1/inbound/${id}`))).statusCode).toBe(404);
  });

  it('allows GET only', async () => {
    const { api } = await apiFixture();
    const res = await api.handle(apiRequest({ method: 'DELETE', path: `/v1/inbound/${hex(1)}`, body: null }));
    expect(res.statusCode).toBe(405);
  });
});
