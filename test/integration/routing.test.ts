/**
 * Routing on the emulator: first attempts routed by the API at acceptance (and put
 * on their carrier queue by the outbox), the router Lambda fed by the ingest queue,
 * carrier FIFO queues, heartbeats in the table (config/local.yaml routes).
 */
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CarrierHealth } from '../../core/aws/carrier-health';
import { clients, drain, http, onCarrierQueue, outputs, queueEmpty, ukMobile, useLocalAws } from '../support/local';

let c: ReturnType<typeof clients>;
let health: CarrierHealth;

beforeAll(() => {
  useLocalAws();
  c = clients();
  health = new CarrierHealth(outputs().tableName, ['sim-a', 'sim-b'], 30, 0, c.dynamo);
});

beforeEach(async () => {
  for (const url of Object.values(outputs().carrierQueueUrls)) await drain(c.sqs, url);
});

async function record(id: string) {
  const out = await c.dynamo.send(new GetCommand({ TableName: outputs().tableName, Key: { pk: `MSG#${id}`, sk: 'MSG' }, ConsistentRead: true }));
  return out.Item;
}

async function beat(carrierId: string, ageSeconds: number, bindsUp = 1) {
  await health.write({ carrierId, taskId: 'integration-test', bindsUp, bindsConfigured: 1, updatedAt: new Date(Date.now() - ageSeconds * 1000).toISOString() });
}

/** The api and the router cache carrier health for 5 s per process. */
const HEALTH_CACHE_MS = 5_500;

describe('routing', () => {
  it('sends two destinations to two carrier queues', async () => {
    // Prepare
    await beat('sim-a', 0);
    await beat('sim-b', 0);
    await new Promise((r) => setTimeout(r, HEALTH_CACHE_MS));
    // Act
    const uk = await http('POST', '/v1/messages', { body: { to: ukMobile(), text: 'to the UK' } });
    const de = await http('POST', '/v1/messages', { body: { to: '+4915123456789', text: 'nach Deutschland' } });
    // Assess: routed as they were stored, and put on their carriers' queues by the outbox
    expect(await record(uk.body.id)).toMatchObject({ status: 'ROUTED', carrierId: 'sim-a' });
    expect(await record(de.body.id)).toMatchObject({ status: 'ROUTED', carrierId: 'sim-b' });
    expect(await onCarrierQueue(c.sqs, 'sim-a', uk.body.id)).toMatchObject({ carrierId: 'sim-a', attempt: 1 });
    expect(await onCarrierQueue(c.sqs, 'sim-b', de.body.id)).toMatchObject({ carrierId: 'sim-b', attempt: 1 });
  });

  it('fails over when the first carrier heartbeat is stale', async () => {
    await beat('sim-a', 120);
    await beat('sim-b', 0);
    await new Promise((r) => setTimeout(r, HEALTH_CACHE_MS));
    const res = await http('POST', '/v1/messages', { body: { to: ukMobile(), text: 'failover' } });
    const routed = (await record(res.body.id))!;
    expect(routed.status).toBe('ROUTED');
    expect(routed.carrierId).toBe('sim-b');
    expect(routed.reason).toContain('failed over past sim-a');
    await beat('sim-a', 0);
  });

  // No route of config/local.yaml reaches +61, so the api bundle has no numbering plan for it (docs/design.md,
  // "Lambda bundles"): the API refuses the number instead of storing a message that would end REJECTED.
  it('refuses a number of a calling code no route reaches, naming `to`', async () => {
    const res = await http('POST', '/v1/messages', { body: { to: '+61412345678', text: 'no route to Australia' } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'to', problem: 'no route of this gateway reaches country calling code +61' }]);
  });

  it('does not route a redelivered ingest record again, nor enqueue it twice', async () => {
    // Prepare: a message the API routed, its envelope taken off its carrier's queue
    const res = await http('POST', '/v1/messages', { body: { to: ukMobile(), text: 'only once' } });
    const routed = (await record(res.body.id))!;
    await onCarrierQueue(c.sqs, routed.carrierId, routed.id);
    const envelope = { v: 1, messageId: routed.id, tenantId: routed.tenantId, attempt: 1, to: routed.to, country: routed.country, type: routed.type, validUntil: routed.validUntil };
    // Act: attempt 1 on the ingest queue, with a deduplication id no sender uses: as a redelivery after
    // SQS's five-minute window would come. The router takes it.
    await c.sqs.send(new SendMessageCommand({ QueueUrl: outputs().ingestQueueUrl, MessageBody: JSON.stringify(envelope), MessageGroupId: routed.id, MessageDeduplicationId: `${routed.id}#redelivered` }));
    await queueEmpty(c.sqs, outputs().ingestQueueUrl, 'the ingest queue');
    // Assess: its conditional claim found attempt 1 taken, so nothing changed; the envelope it sends
    // again (the first run may have died before its send) has the attempt's deduplication id, which the
    // carrier queue drops within the window (past it, the worker's guard submits attempt 1 once).
    expect((await record(routed.id))!.history.filter((h: { status: string }) => h.status === 'ROUTED')).toHaveLength(1);
    const queued = await drain(c.sqs, outputs().carrierQueueUrls[routed.carrierId]!, 3);
    expect(queued.filter((m) => JSON.parse(m.Body!).messageId === routed.id)).toEqual([]);
  });
});

describe('dry run', () => {
  it('answers with the route and carrier and stores nothing', async () => {
    const to = ukMobile();
    const res = await http('POST', '/v1/messages?dryRun=true', { body: { to, text: 'just checking €' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dryRun: true, encoding: 'GSM7', segments: 1, route: { outcome: 'routed', routeId: 'uk', carrierId: expect.stringMatching(/^sim-/) } });
    expect(res.body.route.reason).toContain('prefix +447');
    const batch = await http('POST', '/v1/messages/batch?dryRun=true', { body: { messages: [{ to, text: 'a' }, { to: '+61412345678', text: 'b' }] } });
    expect(batch.status).toBe(200);
    expect(batch.body.results[1]).toMatchObject({ outcome: 'rejected', errors: [{ field: 'messages[1].to', problem: 'no route of this gateway reaches country calling code +61' }] });
    const scan = await c.dynamo.send(new ScanCommand({ TableName: outputs().tableName, FilterExpression: '#to = :to', ExpressionAttributeNames: { '#to': 'to' }, ExpressionAttributeValues: { ':to': to } }));
    expect(scan.Count).toBe(0);
  });
});
