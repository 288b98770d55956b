/**
 * The message lifecycle on the emulator with the SMSC simulators: retries,
 * guaranteed final states, status events and signed webhooks, cancel.
 * Retries are carried by the sweeper here (invoked directly): MiniStack's TTL
 * reaper emits no stream records, and tests must not wait for TTL anyway.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dueShard } from '../../core/domain/deadlines';
import { verifyWebhook } from '../../core/domain/webhook';
import { clients, http, outputs, ukMobile, useLocalAws, waitFor } from '../support/local';
import { send, smscAddress, startHarness, sweep, untilStatus, type Harness } from '../support/worker-harness';

let h: Harness;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  useLocalAws();
  c = clients();
  h = await startHarness(50);
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('retries', () => {
  it('retries a throttled message within the worker until it is delivered', async () => {
    h.simA.behave({ tps: 2 });
    try {
      const before = h.simA.throttledCount();
      const ids = await Promise.all(Array.from({ length: 4 }, () => send({ to: ukMobile(), text: 'slow down' })));
      for (const id of ids) await untilStatus(id, ['DELIVERED'], { timeoutMs: 60_000, sweepEveryMs: 3_000 });
      expect(h.simA.throttledCount()).toBeGreaterThan(before);
    } finally {
      h.simA.behave({ tps: 50 });
    }
  });

  it('fails a message on a permanent SMSC error without retrying it', async () => {
    h.simA.behave({ rejectWith: 0x0b });
    try {
      const to = ukMobile();
      const id = await send({ to, text: 'to nowhere' });
      const message = await untilStatus(id, ['FAILED']);
      expect(message.reason).toContain('ESME_RINVDSTADR');
      await sweep();
      await new Promise((r) => setTimeout(r, 1500));
      expect(h.simA.submits().filter((s) => s.destination === smscAddress(to))).toHaveLength(1);
    } finally {
      h.simA.behave({ rejectWith: undefined });
    }
  });

  it('enqueues a retry timer once when the sweeper and the stream find it at the same time', async () => {
    // Prepare: a message that failed its first attempt, and its timer, due now.
    const to = ukMobile();
    const id = await send({ to, text: 'second attempt' });
    const first = await untilStatus(id, ['DELIVERED']);
    const table = outputs().tableName;
    const now = new Date();
    // Its first attempt failed before SUBMITTED, so it still has its text (SUBMITTED removes it).
    const retrying = { ...first, status: 'RETRYING', attempt: 1, text: 'second attempt', history: [...first.history.slice(0, 2), { status: 'RETRYING', at: now.toISOString(), attempt: 1 }] };
    delete retrying.receipt;
    delete retrying.smscIds;
    const record = (await c.dynamo.send(new GetCommand({ TableName: table, Key: { pk: `MSG#${id}`, sk: 'MSG' } }))).Item!;
    // As scheduleRetry leaves it: RETRYING, due now (its next attempt), with its timer.
    await c.dynamo.send(new PutCommand({ TableName: table, Item: { ...record, ...retrying, dueShard: dueShard(id), dueAt: now.toISOString() } }));
    const timer = {
      pk: `TIMER#${id}`, sk: '2', kind: 'retry-timer', messageId: id, nextAttempt: 2, tenantId: 'acme', to, country: 'GB', type: 'transactional',
      validUntil: record.validUntil, dueAt: now.toISOString(), expiresAt: Math.floor(now.getTime() / 1000),
    };
    await c.dynamo.send(new PutCommand({ TableName: table, Item: timer }));
    const submitsBefore = h.simA.submits().filter((s) => s.destination === smscAddress(to)).length;

    // Act: the sweeper, and a TTL deletion's stream record (shaped as DynamoDB emits it), at once.
    const ttlRemove = {
      Records: [{
        eventID: 'ttl-1', eventName: 'REMOVE', eventSource: 'aws:dynamodb', awsRegion: 'us-east-1',
        userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
        dynamodb: { Keys: marshall({ pk: timer.pk, sk: timer.sk }), OldImage: marshall(timer), SequenceNumber: '900000001', StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }],
    };
    await Promise.all([sweep(), c.lambda.send(new InvokeCommand({ FunctionName: outputs().functions.outbox, Payload: Buffer.from(JSON.stringify(ttlRemove)) }))]);

    // Assess: attempt 2 routed once and submitted once.
    const second = await untilStatus(id, ['DELIVERED'], { timeoutMs: 30_000 });
    expect(second.attempt).toBe(2);
    expect(second.history.filter((e: { status: string; attempt?: number }) => e.status === 'ROUTED' && e.attempt === 2)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 2000));
    expect(h.simA.submits().filter((s) => s.destination === smscAddress(to)).length - submitsBefore).toBe(1);
  });
});

describe('guaranteed final states', () => {
  it('expires a message whose validity ran out before it could be submitted (carrier down)', async () => {
    // Prepare: no worker takes the carrier's queue, and a ROUTED message whose validity has passed, as after
    // a long carrier outage. (The outbox puts its INSERT on sim-a's queue, as it does every routed message's.)
    await h.stop();
    const table = outputs().tableName;
    const id = '11111111-2222-4333-8444-' + String(Date.now()).slice(-12).padStart(12, '0');
    const past = new Date(Date.now() - 60_000).toISOString();
    try {
      await c.dynamo.send(
        new PutCommand({
          TableName: table,
          Item: {
            pk: `MSG#${id}`, sk: 'MSG', kind: 'message', id, tenantId: 'acme', status: 'ROUTED', to: ukMobile(), text: 'too late', type: 'transactional',
            encoding: 'GSM7', segments: 1, validUntil: past, createdAt: past, updatedAt: past, attempt: 1, carrierId: 'sim-a',
            history: [{ status: 'ACCEPTED', at: past }, { status: 'ROUTED', at: past, attempt: 1, carrierId: 'sim-a' }], dueShard: dueShard(id), dueAt: past,
          },
        }),
      );
      // Act: a sweep. The stack's own every-minute sweep (an EventBridge rule, which MiniStack fires too) may
      // take it first; with no worker on the carrier, only a sweep can end it either way.
      await sweep();
      // Assess
      const message = await untilStatus(id, ['EXPIRED']);
      expect(message.reason).toBe('validity_elapsed');
      expect(message.history.filter((e: { status: string }) => e.status === 'EXPIRED')).toHaveLength(1);
    } finally {
      // The carrier is back: its worker finds the message final and leaves it.
      h = await startHarness(50);
    }
  });

  it('ends a submitted message without a receipt UNKNOWN after the receipt window', async () => {
    h.simA.behave({ receiptDelayMs: -1 });
    try {
      const id = await send({ to: ukMobile(), text: 'no receipt' });
      await untilStatus(id, ['SUBMITTED']);
      await new Promise((r) => setTimeout(r, 21_000)); // lifecycle.receiptTimeoutSeconds is 20 in config/local.yaml
      await sweep();
      const message = await untilStatus(id, ['UNKNOWN']);
      expect(message.reason).toBe('receipt_timeout');
    } finally {
      h.simA.behave({ receiptDelayMs: 50 });
    }
  }, 60_000);
});

describe('cancel', () => {
  it('cancels a message not yet submitted, which the worker then skips, and refuses one already delivered', async () => {
    await h.worker.stop();
    const to = ukMobile();
    const id = await send({ to, text: 'never mind' });
    await untilStatus(id, ['ROUTED']);
    const canceled = await http('DELETE', `/v1/messages/${id}`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('CANCELED');
    const fresh = await startHarness(50);
    try {
      const delivered = await send({ to: ukMobile(), text: 'done already' });
      await untilStatus(delivered, ['DELIVERED']);
      const refused = await http('DELETE', `/v1/messages/${delivered}`);
      expect(refused.status).toBe(409);
      expect((await http('GET', `/v1/messages/${id}`)).body.status).toBe('CANCELED');
      expect(fresh.simA.submits().filter((s) => s.destination === smscAddress(to))).toHaveLength(0);
    } finally {
      await fresh.stop();
    }
    h = await startHarness(50);
  }, 90_000);
});

describe('webhooks', () => {
  let server: Server;
  const received: { raw: string; body: any; signature: string; at: number; answered: number }[] = [];
  const failFirst = new Map<string, number>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += String(d)));
      req.on('end', () => {
        const event = JSON.parse(body);
        const left = failFirst.get(event.eventId) ?? 0;
        const answered = left > 0 ? 500 : 204;
        if (left > 0) failFirst.set(event.eventId, left - 1);
        received.push({ raw: body, body: event, signature: String(req.headers['webhook-signature'] ?? ''), at: Date.now(), answered });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });

  afterAll(() => server.close());

  it('posts every status change, signed, in order, and retries a failed delivery', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    const id = await send({ to: ukMobile(), text: 'tell me', callbackUrl: url, reference: 'order-7' });
    failFirst.set(`${id}:0`, 2); // the ACCEPTED event: 500, 500, then 204
    await untilStatus(id, ['DELIVERED']);
    // The deliveries the receiver accepted, in the order they arrived.
    const events = await waitFor('the four events of the message', async () => {
      const accepted = received.filter((r) => r.body.messageId === id && r.answered === 204);
      return accepted.length >= 4 ? accepted : undefined;
    }, 60_000, 500);

    const arns = JSON.parse(outputs().raw.WebhookSecretArns!) as Record<string, string>;
    const secret = (await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arns.acme! }))).SecretString!;
    const mine = received.filter((r) => r.body.messageId === id);
    for (const r of mine) expect(verifyWebhook(secret, r.signature, r.raw, Math.floor(r.at / 1000))).toBe(true);
    expect(mine.filter((r) => r.body.eventId === `${id}:0`)).toHaveLength(3);
    expect(events.map((e) => e.body.status)).toEqual(['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
    expect(events[0]!.body).toMatchObject({ version: 1, type: 'message.status', tenantId: 'acme', reference: 'order-7', segments: 1 });
  }, 90_000);
});
