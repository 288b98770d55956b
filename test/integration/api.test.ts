/**
 * The HTTPS API against the stack deployed on the emulator: real API Gateway
 * routing, the Lambda, DynamoDB, the stream outbox and the queues.
 */
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { clients, drain, http, outputs, ukMobile, useLocalAws, waitFor } from '../support/local';

const GLOBEX_KEY = 'dev-globex-key-0123456789';

let c: ReturnType<typeof clients>;

beforeAll(async () => {
  useLocalAws();
  c = clients();
  // No SMPP worker consumes the carrier queues in this suite: start from empty ones.
  for (const url of Object.values(outputs().carrierQueueUrls)) await drain(c.sqs, url);
});

async function record(id: string) {
  const out = await c.dynamo.send(new GetCommand({ TableName: outputs().tableName, Key: { pk: `MSG#${id}`, sk: 'MSG' }, ConsistentRead: true }));
  return out.Item;
}

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, field?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
  if (field) expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
}

async function countItemsTo(to: string): Promise<number> {
  const out = await c.dynamo.send(new ScanCommand({ TableName: outputs().tableName, FilterExpression: '#to = :to', ExpressionAttributeNames: { '#to': 'to' }, ExpressionAttributeValues: { ':to': to } }));
  return out.Count ?? 0;
}

describe('POST /v1/messages', () => {
  it('stores the message ACCEPTED and hands it on through the outbox and the ingest queue', async () => {
    // Prepare
    const to = ukMobile();
    // Act
    const res = await http('POST', '/v1/messages', { body: { to, text: 'Your code is 123456', reference: 'order-1' } });
    // Assess
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'ACCEPTED', encoding: 'GSM7', segments: 1 });
    expect(res.headers.get('location')).toBe(`/v1/messages/${res.body.id}`);
    const stored = await record(res.body.id);
    expect(stored).toMatchObject({ id: res.body.id, tenantId: 'acme', to, reference: 'order-1' });
    expect(stored!.history[0].status).toBe('ACCEPTED');
    // The router only sees what went through the ingest queue: ROUTED proves the outbox enqueued it.
    const routed = await waitFor('ROUTED', async () => {
      const r = await record(res.body.id);
      return r?.status === 'ROUTED' ? r : undefined;
    });
    expect(routed.carrierId).toBeDefined();
  });

  it('counts UCS-2 segments', async () => {
    const res = await http('POST', '/v1/messages', { body: { to: ukMobile(), text: '😀'.repeat(36) } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ encoding: 'UCS2', segments: 2 });
  });

  it.each([
    ['malformed JSON', { raw: '{"to": ', headers: { 'content-type': 'application/json' } }, 400, undefined],
    ['empty body', { raw: '', headers: { 'content-type': 'application/json' } }, 400, undefined],
    ['wrong content type', { raw: 'to=+447911123456', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, undefined],
    ['unknown field', { body: { to: '+447911123456', text: 'hi', priority: 'high' } }, 422, 'priority'],
    ['invalid destination', { body: { to: '07911123456', text: 'hi' } }, 422, 'to'],
    ['invalid sender', { body: { to: '+447911123456', from: 'ThisIsTooLongSender', text: 'hi' } }, 422, 'from'],
    ['missing text', { body: { to: '+447911123456' } }, 422, 'text'],
    ['too many segments', { body: { to: '+447911123456', text: 'x'.repeat(1531) } }, 422, 'text'],
    ['oversized body', { raw: JSON.stringify({ to: '+447911123456', text: 'x', reference: 'y'.repeat(20_000) }), headers: { 'content-type': 'application/json' } }, 413, undefined],
  ] as const)('rejects %s with a precise problem and stores nothing', async (_name, request, status, field) => {
    const res = await http('POST', '/v1/messages', request as never);
    expectProblem(res, status, field);
    expect(res.status).toBeLessThan(500);
  });

  it('refuses a missing or unknown API key', async () => {
    expectProblem(await http('POST', '/v1/messages', { key: null, body: { to: ukMobile(), text: 'hi' } }), 401);
    expectProblem(await http('POST', '/v1/messages', { key: 'not-a-valid-key-at-all', body: { to: ukMobile(), text: 'hi' } }), 401);
  });

  it('answers unknown paths and methods with problem+json', async () => {
    expectProblem(await http('GET', '/v1/nothing-here'), 404);
    const res = await http('DELETE', '/v1/messages/batch');
    expect([404, 405]).toContain(res.status);
    expectProblem(await http('PUT', '/v1/messages', { body: {} }), 405);
  });

  it('replays an Idempotency-Key with the first result and refuses it with another body', async () => {
    const key = `idem-${Date.now()}-${Math.random()}`;
    const to = ukMobile();
    const first = await http('POST', '/v1/messages', { body: { to, text: 'once' }, headers: { 'idempotency-key': key } });
    const again = await http('POST', '/v1/messages', { body: { text: 'once', to }, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(await countItemsTo(to)).toBe(1);
    const other = await http('POST', '/v1/messages', { body: { to, text: 'twice' }, headers: { 'idempotency-key': key } });
    expectProblem(other, 422, 'Idempotency-Key');
  });
});

describe('POST /v1/messages/batch', () => {
  it('accepts the valid items and reports each invalid one on its own', async () => {
    const good = [ukMobile(), ukMobile()];
    const res = await http('POST', '/v1/messages/batch', {
      body: { messages: [{ to: good[0], text: 'one' }, { to: 'nope', text: 'two' }, { to: good[1], text: 'Grüße ✓' }, { to: ukMobile(), text: 'x', colour: 'red' }] },
    });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected).toBe(2);
    expect(res.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['accepted', 'rejected', 'accepted', 'rejected']);
    expect(res.body.results[1].errors[0].field).toBe('messages[1].to');
    expect(res.body.results[3].errors[0].field).toBe('messages[3].colour');
    expect(res.body.results[2]).toMatchObject({ encoding: 'UCS2', segments: 1 });
    for (const r of res.body.results.filter((x: { outcome: string }) => x.outcome === 'accepted')) expect(await record(r.id)).toBeDefined();
  });

  it('refuses a batch over the limit', async () => {
    const messages = Array.from({ length: 101 }, () => ({ to: '+447911123456', text: 'hi' }));
    expectProblem(await http('POST', '/v1/messages/batch', { body: { messages } }), 422, 'messages');
  });
});

describe('GET /v1/messages/{id}', () => {
  it('shows status, timestamps and history to the owner, and 404 to another tenant', async () => {
    const created = await http('POST', '/v1/messages', { body: { to: ukMobile(), text: 'status please' } });
    const own = await http('GET', `/v1/messages/${created.body.id}`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: created.body.id, status: expect.any(String), createdAt: expect.any(String), history: expect.any(Array) });
    expect(own.body.text).toBeUndefined();
    expectProblem(await http('GET', `/v1/messages/${created.body.id}`, { key: GLOBEX_KEY }), 404);
    expectProblem(await http('GET', '/v1/messages/00000000-0000-4000-8000-000000000000'), 404);
  });
});

describe('per-tenant rate limit', () => {
  const initechKey = () => outputs().apiKeys.initech![0]!;

  it('answers 429 with Retry-After past the tenant\'s requests per second, counted exactly in DynamoDB, without slowing other tenants', async () => {
    // Prepare: initech may make 2 requests per second (config/local.yaml)
    const to = ukMobile();
    const started = Math.floor(Date.now() / 1000);
    // Act: 12 at once, and one of acme's among them
    const [acme, ...answers] = await Promise.all([
      http('POST', '/v1/messages', { body: { to: ukMobile(), text: 'not limited' } }),
      ...Array.from({ length: 12 }, () => http('POST', '/v1/messages', { key: initechKey(), body: { to, text: 'limited' } })),
    ]);
    // Assess: the refusals
    expect(acme!.status).toBe(202);
    const limited = answers.filter((r) => r.status === 429);
    const accepted = answers.filter((r) => r.status === 202);
    expect(limited.length + accepted.length).toBe(12);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expectProblem(r, 429);
      expect(r.body).toMatchObject({ type: `${outputs().apiUrl}/problems/rate-limited`, limit: 2 });
      expect(r.headers.get('retry-after')).toBe('1');
    }
    // Assess: every window holds at most 2, and together exactly the accepted ones, all stored; nothing of a refused one is
    const windows = await c.dynamo.send(new QueryCommand({
      TableName: outputs().tableName,
      KeyConditionExpression: 'pk = :pk AND sk >= :from',
      ExpressionAttributeValues: { ':pk': 'RATE#initech', ':from': String(started) },
      ConsistentRead: true,
    }));
    const counts = (windows.Items ?? []).map((w) => w.requests as number);
    expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(accepted.length);
    for (const w of windows.Items ?? []) expect(w.expiresAt).toBe(Number(w.sk) + 60);
    expect(await countItemsTo(to)).toBe(accepted.length);
  });

  it('lets the tenant in again in the next second', async () => {
    // Prepare: use up a window
    await Promise.all(Array.from({ length: 4 }, () => http('GET', '/v1/messages/00000000-0000-4000-8000-000000000000', { key: initechKey() })));
    // Act
    await new Promise((r) => setTimeout(r, 1100));
    const res = await http('GET', '/v1/messages/00000000-0000-4000-8000-000000000000', { key: initechKey() });
    // Assess
    expectProblem(res, 404);
  });
});

describe('the outbox', () => {
  it('enqueues a record it is handed by the stream, so a stored message always moves on', async () => {
    // Prepare: a message stored directly, as if the API had written it and the stream delivered it.
    const accepted = await http('POST', '/v1/messages', { body: { to: ukMobile(), text: 'outbox' } });
    const item = await record(accepted.body.id);
    // Act: redeliver the same INSERT to the outbox function (the stream's retry after a failed send).
    const { marshall } = await import('@aws-sdk/util-dynamodb');
    const event = { Records: [{ eventID: '1', eventName: 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { SequenceNumber: '1', NewImage: marshall({ ...item, status: 'ACCEPTED' }) } }] };
    const res = await c.lambda.send(new InvokeCommand({ FunctionName: outputs().functions.outbox, Payload: Buffer.from(JSON.stringify(event)) }));
    // Assess: no failure reported, and the message is routed exactly once (the router's claim guards the duplicate).
    const payload = JSON.parse(Buffer.from(res.Payload ?? []).toString() || '{}');
    expect(payload.batchItemFailures ?? []).toEqual([]);
    const routed = await waitFor('ROUTED', async () => {
      const r = await record(accepted.body.id);
      return r?.status === 'ROUTED' ? r : undefined;
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await record(accepted.body.id))!.history.filter((h: { status: string }) => h.status === 'ROUTED')).toHaveLength(1);
    expect(routed.attempt).toBe(1);
  });
});
