/**
 * Opt-outs through MessagesApi: /v1/opt-outs (add, read, list, remove, each input problem a 4xx
 * naming its field), the check at acceptance (a message to an opted-out number stored REJECTED
 * opted_out, never routed; scopes and appliesTo; one lookup per request; dry runs), and the
 * scope rules of core/domain/opt-outs.ts themselves.
 */
import { describe, expect, it } from 'vitest';
import { optOutsStopping } from '../../core/api/opt-out-check';
import { decodeCursor, encodeCursor } from '../../core/api/opt-outs-api';
import { optOutApplies, optOutScopes } from '../../core/domain/opt-outs';
import { API_KEYS, apiFixture, apiRequest, bodyOf, gatewayConfigInput, headerOf, InMemoryOptOutRepository, MOBILE, NOW, submissionBody, TEST_API_URL } from '../support/factories';

const path = (number: string) => `/v1/opt-outs/${encodeURIComponent(number)}`;
const SENDER_SCOPED = { tenants: [...(gatewayConfigInput().tenants as Record<string, unknown>[]).map((t) => (t.id === 'acme' ? { ...t, optOut: { scope: 'sender' } } : t))] };
const PROMOTIONAL_ONLY = { tenants: [...(gatewayConfigInput().tenants as Record<string, unknown>[]).map((t) => (t.id === 'acme' ? { ...t, optOut: { appliesTo: 'promotional' } } : t))] };

function fieldsOf(res: { body: string }): string[] {
  return bodyOf(res as never).errors.map((e: { field: string }) => e.field);
}

describe('the scope rules', () => {
  it('a tenant-wide opt-out is the only one looked up with scope tenant, whatever the sender', () => {
    expect(optOutScopes({ optOut: { scope: 'tenant' } as never }, 'ACME')).toEqual([undefined]);
  });

  it('with scope sender, the sender’s own opt-out is looked up besides the tenant-wide one', () => {
    expect(optOutScopes({ optOut: { scope: 'sender' } as never }, '+447700900000')).toEqual([undefined, '+447700900000']);
    expect(optOutScopes({ optOut: { scope: 'sender' } as never }, undefined)).toEqual([undefined]);
  });

  it('appliesTo all stops every message; promotional lets transactional ones through', () => {
    expect(optOutApplies({ optOut: { appliesTo: 'all' } as never }, 'transactional')).toBe(true);
    expect(optOutApplies({ optOut: { appliesTo: 'promotional' } as never }, 'transactional')).toBe(false);
    expect(optOutApplies({ optOut: { appliesTo: 'promotional' } as never }, 'promotional')).toBe(true);
  });

  it('the acceptance step finds each message’s opt-out in one lookup, and none for another tenant’s', async () => {
    const repo = new InMemoryOptOutRepository();
    await repo.optOut('acme', { number: MOBILE.GB, source: 'api', at: NOW });
    const tenant = { id: 'acme', optOut: { scope: 'tenant', appliesTo: 'all' } } as never;
    const found = await optOutsStopping(repo, tenant, [{ to: MOBILE.GB, type: 'promotional' }, { to: MOBILE.DE, type: 'promotional' }]);
    expect(found.map((o) => o?.number)).toEqual([MOBILE.GB, undefined]);
    expect(repo.inForceCalls).toBe(1);
    expect(await optOutsStopping(repo, { id: 'globex', optOut: { scope: 'tenant', appliesTo: 'all' } } as never, [{ to: MOBILE.GB, type: 'promotional' }])).toEqual([undefined]);
  });

  it('the acceptance step does not look anything up when appliesTo exempts every message', async () => {
    const repo = new InMemoryOptOutRepository();
    const found = await optOutsStopping(repo, { id: 'acme', optOut: { scope: 'tenant', appliesTo: 'promotional' } } as never, [{ to: MOBILE.GB, type: 'transactional' }]);
    expect(found).toEqual([undefined]);
    expect(repo.inForceCalls).toBe(0);
  });
});

describe('PUT /v1/opt-outs/{number}', () => {
  it('answers 201 with the new opt-out for a request without a body, then 200 with the same one', async () => {
    const { api } = await apiFixture();
    const first = await api.handle(apiRequest({ method: 'PUT', path: path(MOBILE.GB), body: null, headers: { 'content-type': undefined } }));
    expect(first.statusCode).toBe(201);
    expect(bodyOf(first)).toEqual({ number: MOBILE.GB, optedOutAt: NOW.toISOString(), source: 'api' });
    expect(headerOf(first, 'location')).toBe(path(MOBILE.GB));
    const again = await api.handle(apiRequest({ method: 'PUT', path: path(MOBILE.GB), body: {} }));
    expect(again.statusCode).toBe(200);
    expect(bodyOf(again)).toEqual(bodyOf(first));
  });

  it('adds the opt-out again when it was removed between finding it in force and reading it', async () => {
    const { api, optOuts } = await apiFixture();
    const write = optOuts.optOut.bind(optOuts);
    let calls = 0;
    // The first write finds an opt-out in force, which a DELETE removes before the read.
    optOuts.optOut = async (tenantId, o) => (++calls === 1 ? { created: false } : write(tenantId, o));
    const res = await api.handle(apiRequest({ method: 'PUT', path: path(MOBILE.GB), body: null }));
    expect(res.statusCode).toBe(201);
    expect(calls).toBe(2);
    expect(await optOuts.get('acme', MOBILE.GB)).toMatchObject({ number: MOBILE.GB, source: 'api' });
  });

  it('refuses a number that is not E.164 or not a mobile number, naming the field number', async () => {
    const { api, optOuts } = await apiFixture();
    for (const bad of ['07400123456', '+44 7400 123456', 'abc', '%E0%A4%A', '+442071234567']) {
      const res = await api.handle(apiRequest({ method: 'PUT', path: `/v1/opt-outs/${bad}`, body: null }));
      expect(res.statusCode).toBe(400);
      expect(fieldsOf(res)).toEqual(['number']);
    }
    expect(optOuts.items.size).toBe(0);
  });

  it('refuses a body with unknown fields, and a sender for a tenant whose opt-outs cover all its senders', async () => {
    const { api } = await apiFixture();
    const unknown = await api.handle(apiRequest({ method: 'PUT', path: path(MOBILE.GB), body: { reason: 'web form' } }));
    expect(unknown.statusCode).toBe(422);
    const sender = await api.handle(apiRequest({ method: 'PUT', path: path(MOBILE.GB), body: { sender: '+447700900000' } }));
    expect(sender.statusCode).toBe(422);
    expect(fieldsOf(sender)).toEqual(['sender']);
    const notJson = await api.handle(apiRequest({ method: 'PUT', path: path(MOBILE.GB), body: '{', headers: { 'content-type': 'application/json' } }));
    expect(notJson.statusCode).toBe(400);
  });

  it('with scope sender, records an opt-out of one sender, read and removed with ?sender=', async () => {
    const { api } = await apiFixture(SENDER_SCOPED);
    const put = await api.handle(apiRequest({ method: 'PUT', path: path(MOBILE.GB), body: { sender: '+447700900000' } }));
    expect(bodyOf(put)).toEqual({ number: MOBILE.GB, sender: '+447700900000', optedOutAt: NOW.toISOString(), source: 'api' });
    expect((await api.handle(apiRequest({ method: 'GET', path: path(MOBILE.GB), body: null }))).statusCode).toBe(404);
    expect((await api.handle(apiRequest({ method: 'GET', path: path(MOBILE.GB), query: { sender: '+447700900000' }, body: null }))).statusCode).toBe(200);
    expect((await api.handle(apiRequest({ method: 'DELETE', path: path(MOBILE.GB), query: { sender: '+447700900000' }, body: null }))).statusCode).toBe(204);
  });
});

describe('GET and DELETE /v1/opt-outs/{number}', () => {
  it('reads the tenant’s own opt-out; another tenant’s is a 404', async () => {
    const { api } = await apiFixture();
    await api.handle(apiRequest({ method: 'PUT', path: path(MOBILE.GB), body: null }));
    expect(bodyOf(await api.handle(apiRequest({ method: 'GET', path: path(MOBILE.GB), body: null })))).toMatchObject({ number: MOBILE.GB, source: 'api' });
    const other = await api.handle(apiRequest({ method: 'GET', path: path(MOBILE.GB), body: null, headers: { 'x-api-key': API_KEYS.globex } }));
    expect(other.statusCode).toBe(404);
    expect(bodyOf(other).type).toBe(`${TEST_API_URL}/problems/not-found`);
  });

  it('removes an opt-out with 204 and records when; a second DELETE, with none in force, is a 404', async () => {
    const { api, optOuts, clock } = await apiFixture();
    await api.handle(apiRequest({ method: 'PUT', path: path(MOBILE.GB), body: null }));
    clock.now = new Date(NOW.getTime() + 60_000);
    const removed = await api.handle(apiRequest({ method: 'DELETE', path: path(MOBILE.GB), body: null }));
    expect(removed.statusCode).toBe(204);
    expect(removed.body).toBe('');
    expect([...optOuts.items.values()][0]).toMatchObject({ state: 'removed', removedAt: clock.now.toISOString() });
    expect((await api.handle(apiRequest({ method: 'DELETE', path: path(MOBILE.GB), body: null }))).statusCode).toBe(404);
    expect((await api.handle(apiRequest({ method: 'GET', path: path(MOBILE.GB), body: null }))).statusCode).toBe(404);
  });

  it('answers 405 naming the methods for POST, and 401 without a key', async () => {
    const { api } = await apiFixture();
    const post = await api.handle(apiRequest({ method: 'POST', path: path(MOBILE.GB) }));
    expect(post.statusCode).toBe(405);
    expect(headerOf(post, 'allow')).toBe('GET, PUT, DELETE');
    expect((await api.handle(apiRequest({ method: 'GET', path: '/v1/opt-outs', body: null, headers: { 'x-api-key': undefined } }))).statusCode).toBe(401);
  });
});

describe('GET /v1/opt-outs', () => {
  it('pages through the tenant’s opt-outs in number order with limit and nextCursor, leaving removed ones out', async () => {
    const { api } = await apiFixture();
    const numbers = ['+447400123401', '+447400123402', '+447400123403', '+447400123404'];
    for (const n of numbers) await api.handle(apiRequest({ method: 'PUT', path: path(n), body: null }));
    await api.handle(apiRequest({ method: 'DELETE', path: path(numbers[1]!), body: null }));
    const first = bodyOf(await api.handle(apiRequest({ method: 'GET', path: '/v1/opt-outs', query: { limit: '2' }, body: null })));
    expect(first.optOuts.map((o: { number: string }) => o.number)).toEqual([numbers[0], numbers[2]]);
    expect(typeof first.nextCursor).toBe('string');
    const second = bodyOf(await api.handle(apiRequest({ method: 'GET', path: '/v1/opt-outs', query: { limit: '2', cursor: first.nextCursor }, body: null })));
    expect(second).toEqual({ optOuts: [expect.objectContaining({ number: numbers[3] })] });
    const globex = bodyOf(await api.handle(apiRequest({ method: 'GET', path: '/v1/opt-outs', body: null, headers: { 'x-api-key': API_KEYS.globex } })));
    expect(globex).toEqual({ optOuts: [] });
  });

  it('refuses a limit outside 1-100 and a cursor it did not make, naming each field', async () => {
    const { api } = await apiFixture();
    const res = await api.handle(apiRequest({ method: 'GET', path: '/v1/opt-outs', query: { limit: '0', cursor: 'not-a-cursor' }, body: null }));
    expect(res.statusCode).toBe(400);
    expect(fieldsOf(res)).toEqual(['limit', 'cursor']);
    expect(decodeCursor(encodeCursor('+447400123401#ACME'))).toBe('+447400123401#ACME');
    expect(decodeCursor(Buffer.from('{"after":{"S":"x"}}').toString('base64url'))).toBeNull();
  });
});

describe('enforcement at acceptance', () => {
  it('stores a message to an opted-out number REJECTED opted_out, unrouted, and says so in the 202', async () => {
    const { api, messages, optOuts } = await apiFixture();
    await optOuts.optOut('acme', { number: MOBILE.GB, source: 'keyword', keyword: 'STOP', at: NOW });
    const res = await api.handle(apiRequest({ body: submissionBody() }));
    expect(res.statusCode).toBe(202);
    expect(bodyOf(res)).toEqual({ id: expect.any(String), status: 'REJECTED', reason: 'opted_out', encoding: 'GSM7', segments: 1 });
    const [stored] = messages.all();
    expect(stored).toMatchObject({ status: 'REJECTED', reason: 'opted_out', attempt: 0 });
    expect(stored!.carrierId).toBeUndefined();
    expect(stored!.history.map((h) => [h.status, h.reason])).toEqual([['ACCEPTED', undefined], ['REJECTED', 'opted_out']]);
  });

  it('another tenant’s message to the same number is accepted and routed', async () => {
    const { api, messages, optOuts } = await apiFixture();
    await optOuts.optOut('acme', { number: MOBILE.GB, source: 'api', at: NOW });
    const res = await api.handle(apiRequest({ body: submissionBody(), headers: { 'x-api-key': API_KEYS.globex } }));
    expect(bodyOf(res).status).toBe('ACCEPTED');
    expect(messages.all()[0]).toMatchObject({ status: 'ROUTED', tenantId: 'globex' });
  });

  it('with appliesTo promotional, a transactional message goes through and a promotional one is stopped', async () => {
    const { api, optOuts } = await apiFixture(PROMOTIONAL_ONLY);
    await optOuts.optOut('acme', { number: MOBILE.GB, source: 'api', at: NOW });
    expect(bodyOf(await api.handle(apiRequest({ body: submissionBody({ type: 'transactional' }) }))).status).toBe('ACCEPTED');
    expect(bodyOf(await api.handle(apiRequest({ body: submissionBody({ type: 'promotional' }) }))).status).toBe('REJECTED');
  });

  it('with scope sender, an opt-out of one sender stops that sender’s messages only', async () => {
    const { api, optOuts } = await apiFixture(SENDER_SCOPED);
    await optOuts.optOut('acme', { number: MOBILE.GB, sender: 'ACME', source: 'keyword', keyword: 'STOP', at: NOW });
    expect(bodyOf(await api.handle(apiRequest({ body: submissionBody({ from: 'ACME' }) }))).status).toBe('REJECTED');
    expect(bodyOf(await api.handle(apiRequest({ body: submissionBody({ from: 'ACMEPROMO' }) }))).status).toBe('ACCEPTED');
  });

  it('a replay of a stopped message answers the same REJECTED result', async () => {
    const { api, optOuts } = await apiFixture();
    await optOuts.optOut('acme', { number: MOBILE.GB, source: 'api', at: NOW });
    const first = await api.handle(apiRequest({ body: submissionBody(), headers: { 'idempotency-key': 'k-1' } }));
    await optOuts.remove('acme', { number: MOBILE.GB, at: NOW });
    const replay = await api.handle(apiRequest({ body: submissionBody(), headers: { 'idempotency-key': 'k-1' } }));
    expect(headerOf(replay, 'idempotent-replayed')).toBe('true');
    expect(bodyOf(replay)).toEqual(bodyOf(first));
  });

  it('a batch looks its opt-outs up in one round trip and stops only the opted-out messages', async () => {
    const { api, messages, optOuts, logs } = await apiFixture();
    await optOuts.optOut('acme', { number: MOBILE.GB, source: 'api', at: NOW });
    const res = await api.handle(apiRequest({ path: '/v1/messages/batch', body: { messages: [submissionBody(), submissionBody({ to: MOBILE.GB_OTHER }), { to: 'x' }] } }));
    expect(res.statusCode).toBe(202);
    expect(bodyOf(res).results.map((r: { status?: string; outcome: string }) => r.status ?? r.outcome)).toEqual(['REJECTED', 'ACCEPTED', 'rejected']);
    expect(optOuts.inForceCalls).toBe(1);
    expect(messages.all().map((m) => m.status).sort()).toEqual(['REJECTED', 'ROUTED']);
    expect(logs.find((l) => l.event === 'BATCH_ACCEPTED')!.data).toMatchObject({ accepted: 2, optedOut: 1, routed: 1, segments: 1 });
  });

  it('a dry run reports the opt-out beside the route, and stores nothing', async () => {
    const { api, messages, optOuts } = await apiFixture();
    await optOuts.optOut('acme', { number: MOBILE.GB, source: 'keyword', keyword: 'STOP', at: NOW });
    const res = bodyOf(await api.handle(apiRequest({ body: submissionBody(), query: { dryRun: 'true' } })));
    expect(res.optOut).toEqual({ number: MOBILE.GB, optedOutAt: NOW.toISOString(), source: 'keyword', keyword: 'STOP' });
    expect(res.route.outcome).toBe('routed');
    const clear = bodyOf(await api.handle(apiRequest({ body: submissionBody({ to: MOBILE.DE }), query: { dryRun: 'true' } })));
    expect(clear.optOut).toBeUndefined();
    expect(messages.size).toBe(0);
  });
});
