/**
 * The HTTPS API against the stack deployed on the emulator: real API Gateway
 * routing, the Lambda, DynamoDB, the stream outbox and the queues.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { MessageStore } from '../../core/aws/message-store';
import type { MessageRecord } from '../../core/domain/message';
import { messageRecord } from '../support/factories';
import { clients, drain, http, onCarrierQueue, outputs, queueEmpty, ukMobile, useLocalAws, waitFor } from '../support/local';

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

/** The outbox function handed the INSERT of an item, as the table stream hands it; its partial batch response. */
async function handOutboxInsert(item: Record<string, unknown>): Promise<{ batchItemFailures?: unknown[] }> {
  const event = { Records: [{ eventID: '1', eventName: 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { SequenceNumber: '1', Keys: marshall({ pk: item.pk, sk: item.sk }), NewImage: marshall(item, { removeUndefinedValues: true }) } }] };
  const res = await c.lambda.send(new InvokeCommand({ FunctionName: outputs().functions.outbox, Payload: Buffer.from(JSON.stringify(event)) }));
  return JSON.parse(Buffer.from(res.Payload ?? []).toString() || '{}');
}

/** A message as the API stores it when it cannot read carrier health: ACCEPTED, for the router to route. */
function unroutedMessage(): MessageRecord {
  const at = new Date().toISOString();
  return messageRecord({ id: randomUUID(), to: ukMobile(), createdAt: at, updatedAt: at, validUntil: new Date(Date.now() + 3_600_000).toISOString(), history: [{ status: 'ACCEPTED', at }] });
}

/** Items of the table to this number, every page of the scan (a scan page reads at most 1 MB before the filter). */
async function countItemsTo(to: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await c.dynamo.send(
      new ScanCommand({ TableName: outputs().tableName, FilterExpression: '#to = :to', ExpressionAttributeNames: { '#to': 'to' }, ExpressionAttributeValues: { ':to': to }, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return count;
}

describe('POST /v1/messages', () => {
  it('stores the message ROUTED for its first attempt, and the outbox puts it on its carrier\'s queue', async () => {
    // Prepare
    const to = ukMobile();
    // Act
    const res = await http('POST', '/v1/messages', { body: { to, text: 'Your code is 123456', reference: 'order-1' } });
    // Assess
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'ACCEPTED', encoding: 'GSM7', segments: 1 });
    expect(res.headers.get('location')).toBe(`/v1/messages/${res.body.id}`);
    const stored = await record(res.body.id);
    expect(stored).toMatchObject({ id: res.body.id, tenantId: 'acme', to, reference: 'order-1', status: 'ROUTED', attempt: 1, carrierId: expect.stringMatching(/^sim-/) });
    // One write: ACCEPTED and ROUTED (attempt 1, the carrier) at the moment it was accepted.
    expect(stored!.history).toEqual([
      { status: 'ACCEPTED', at: stored!.createdAt },
      expect.objectContaining({ status: 'ROUTED', at: stored!.createdAt, attempt: 1, carrierId: stored!.carrierId }),
    ]);
    expect(stored).not.toHaveProperty('requestHash');
    // Nothing else puts it there: no worker runs in this suite, and the router sees no ingest message for it.
    const envelope = await onCarrierQueue(c.sqs, stored!.carrierId, res.body.id);
    expect(envelope).toMatchObject({ messageId: res.body.id, attempt: 1, carrierId: stored!.carrierId, to, text: 'Your code is 123456' });
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
  it('puts a routed message on its carrier\'s queue once, when the stream hands it the same record again', async () => {
    // Prepare: a message the API routed, and its envelope taken off the carrier queue
    const accepted = await http('POST', '/v1/messages', { body: { to: ukMobile(), text: 'outbox twice' } });
    const item = (await record(accepted.body.id))!;
    await onCarrierQueue(c.sqs, item.carrierId, accepted.body.id);
    // Act: the same INSERT again (the stream's retry after a failed send); the outbox has sent when it answers
    const response = await handOutboxInsert(item);
    // Assess: sent again with the attempt's deduplication id, which the FIFO queue drops
    expect(response.batchItemFailures ?? []).toEqual([]);
    const again = await drain(c.sqs, outputs().carrierQueueUrls[item.carrierId]!, 3);
    expect(again.filter((m) => JSON.parse(m.Body!).messageId === accepted.body.id)).toEqual([]);
  });

  it('hands a message stored ACCEPTED to the router through the ingest queue, and once when the stream hands it the same record again', async () => {
    // Prepare: a message stored ACCEPTED, as the API stores it when it cannot read carrier health
    const message = unroutedMessage();
    await new MessageStore(outputs().tableName, 7, c.dynamo).create(message);
    // Act: its INSERT reaches the outbox on the stream; then the same INSERT again (the stream's retry)
    const routed = await waitFor('the router to route it', async () => {
      const r = await record(message.id);
      return r?.status === 'ROUTED' ? r : undefined;
    });
    const again = await handOutboxInsert({ pk: routed.pk, sk: routed.sk, kind: 'message', ...message });
    await queueEmpty(c.sqs, outputs().ingestQueueUrl, 'the ingest queue');
    // Assess: routed once, attempt 1, and on its carrier's queue once. The second send to the ingest queue
    // carried the attempt's deduplication id and was dropped; past SQS's five-minute window the router's
    // claim would find attempt 1 taken (routing.test.ts, a redelivered ingest record).
    expect(again.batchItemFailures ?? []).toEqual([]);
    const after = (await record(message.id))!;
    expect(after).toMatchObject({ status: 'ROUTED', attempt: 1, carrierId: expect.stringMatching(/^sim-/) });
    expect(after.history.filter((h: { status: string }) => h.status === 'ROUTED')).toHaveLength(1);
    const queued = await drain(c.sqs, outputs().carrierQueueUrls[after.carrierId]!, 3);
    expect(queued.filter((m) => JSON.parse(m.Body!).messageId === message.id)).toHaveLength(1);
  });
});
