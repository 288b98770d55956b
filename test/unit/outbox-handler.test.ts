/**
 * The outbox handler with its SQS and SNS clients answered in memory: where each
 * new message record goes (its carrier's queue when the API routed it, the ingest
 * queue when not), ten sends and ten publishes to a request, a failed entry
 * reported as that stream record's failure (and only its message's), and which
 * status events are published (statusEvents.publish), and what it logs.
 */
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetRuntimeConfigCache } from '../../core/config/runtime';
import { captureLogs } from '../support/captured-logs';

const INGEST = 'https://sqs.local/ingest.fifo';
const CARRIER_A = 'https://sqs.local/c-a.fifo';
const CARRIER_B = 'https://sqs.local/c-b.fifo';
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:status.fifo';
const INBOUND_TOPIC = 'arn:aws:sns:us-east-1:000000000000:inbound';
const AT = '2026-01-01T00:00:00.000Z';

/** The handler of a fresh module, with this runtime config (it is read at module load). */
async function outbox(statusEvents: { publish: 'callbacks' | 'all' } = { publish: 'all' }, tenants: unknown[] = [{ id: 'hooked', callbackUrl: 'https://hooks.example/sms' }]) {
  process.env.TABLE_NAME = 'messages';
  process.env.INGEST_QUEUE_URL = INGEST;
  process.env.CARRIER_QUEUE_URLS = JSON.stringify({ 'c-a': CARRIER_A, 'c-b': CARRIER_B });
  process.env.STATUS_TOPIC_ARN = TOPIC;
  process.env.INBOUND_TOPIC_ARN = INBOUND_TOPIC;
  process.env.AWS_REGION = 'us-east-1';
  process.env.GATEWAY_RUNTIME_CONFIG = JSON.stringify({ version: 1, tenants, statusEvents });
  resetRuntimeConfigCache();
  vi.resetModules();
  return (await import('../../lambdas/outbox/index.js')).handler;
}

/** Every SendMessageBatch and PublishBatch request; `failSend`/`failPublish` pick entries to fail, `refuse` whole requests. */
class Aws {
  readonly sends: { queueUrl: string; entries: { MessageBody: string; MessageGroupId: string; MessageDeduplicationId: string }[] }[] = [];
  readonly publishes: { topic: string; entries: { Message: string; MessageGroupId: string; MessageDeduplicationId: string; MessageAttributes: Record<string, { StringValue: string }> }[] }[] = [];
  failSend: (body: { messageId: string }) => boolean = () => false;
  failPublish: (event: { messageId: string; status: string }) => boolean = () => false;
  refuse: 'sqs' | 'sns' | 'dynamodb' | undefined;
  /** Every usage UpdateItem (status figures): its key and its ADDs by attribute. */
  readonly usageUpdates: { sk: string; adds: Record<string, number> }[] = [];

  constructor() {
    vi.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation((async (command: UpdateCommand) => {
      expect(command).toBeInstanceOf(UpdateCommand);
      const { Key, ExpressionAttributeNames: names, ExpressionAttributeValues: values } = command.input;
      const adds = Object.fromEntries(Object.keys(names!).filter((n) => n.startsWith('#a')).map((n) => [names![n]!, values![`:${n.slice(1)}`] as number]));
      this.usageUpdates.push({ sk: String(Key!.sk), adds });
      if (this.refuse === 'dynamodb') throw Object.assign(new Error('throughput exceeded'), { name: 'ProvisionedThroughputExceededException' });
      return {};
    }) as never);
    vi.spyOn(SQSClient.prototype, 'send').mockImplementation((async (command: SendMessageBatchCommand) => {
      expect(command).toBeInstanceOf(SendMessageBatchCommand);
      const entries = command.input.Entries!;
      this.sends.push({ queueUrl: command.input.QueueUrl!, entries: entries.map(({ MessageBody, MessageGroupId, MessageDeduplicationId }) => ({ MessageBody: MessageBody!, MessageGroupId: MessageGroupId!, MessageDeduplicationId: MessageDeduplicationId! })) });
      if (this.refuse === 'sqs') throw Object.assign(new Error('rate exceeded'), { name: 'ThrottlingException' });
      const failed = entries.filter((e) => this.failSend(JSON.parse(e.MessageBody!)));
      return { Successful: entries.filter((e) => !failed.includes(e)).map((e) => ({ Id: e.Id })), Failed: failed.map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false })) };
    }) as never);
    vi.spyOn(SNSClient.prototype, 'send').mockImplementation((async (command: PublishBatchCommand) => {
      expect(command).toBeInstanceOf(PublishBatchCommand);
      const entries = command.input.PublishBatchRequestEntries!;
      this.publishes.push({ topic: command.input.TopicArn!, entries: entries as never });
      if (this.refuse === 'sns') throw Object.assign(new Error('rate exceeded'), { name: 'Throttled' });
      const failed = entries.filter((e) => this.failPublish(JSON.parse(e.Message!)));
      return { Successful: entries.filter((e) => !failed.includes(e)).map((e) => ({ Id: e.Id })), Failed: failed.map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false })) };
    }) as never);
  }

  /** The message ids sent to a queue, in order. */
  sentTo(queueUrl: string): string[] {
    return this.sends.filter((s) => s.queueUrl === queueUrl).flatMap((s) => s.entries.map((e) => (JSON.parse(e.MessageBody) as { messageId: string }).messageId));
  }

  /** "<messageId> <status>" of every event published (the failed ones too), in order. */
  events(): string[] {
    return this.publishes.flatMap((p) => p.entries.map((e) => JSON.parse(e.Message) as { messageId: string; status: string }).map((e) => `${e.messageId} ${e.status}`));
  }
}

/** A message record as the API stores it: routed to `carrierId` (history ACCEPTED, ROUTED), or ACCEPTED without one. */
function messageItem(id: string, carrierId: string | undefined, overrides: Record<string, unknown> = {}) {
  const accepted = { pk: `MSG#${id}`, sk: 'MSG', kind: 'message', id, tenantId: 'acme', status: 'ACCEPTED', to: '+447400123456', text: 'Your code is 123456', type: 'transactional', encoding: 'GSM7', segments: 1, validUntil: '2030-01-01T00:00:00.000Z', createdAt: AT, updatedAt: AT, attempt: 0, history: [{ status: 'ACCEPTED', at: AT }] };
  const item = carrierId
    ? { ...accepted, status: 'ROUTED', attempt: 1, carrierId, reason: 'route "uk" matched prefix +447; first carrier healthy', history: [...accepted.history, { status: 'ROUTED', at: AT, carrierId, attempt: 1, reason: 'route "uk"' }] }
    : accepted;
  return { ...item, ...overrides };
}

function insert(seq: string, item: Record<string, unknown>): DynamoDBRecord {
  return { eventID: seq, eventName: 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { SequenceNumber: seq, Keys: marshall({ pk: item.pk, sk: item.sk }) as never, NewImage: marshall(item) as never } };
}

function modify(seq: string, before: Record<string, unknown>, after: Record<string, unknown>): DynamoDBRecord {
  return { eventID: seq, eventName: 'MODIFY', eventSource: 'aws:dynamodb', dynamodb: { SequenceNumber: seq, Keys: marshall({ pk: after.pk, sk: after.sk }) as never, OldImage: marshall(before) as never, NewImage: marshall(after) as never } };
}

function submitted(item: Record<string, unknown>) {
  return { ...item, status: 'SUBMITTED', history: [...(item.history as unknown[]), { status: 'SUBMITTED', at: AT }] };
}

let aws: Aws;
beforeEach(() => {
  aws = new Aws();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('outbox handler: where a new message goes', () => {
  it('a message the API routed goes straight to its carrier\'s queue, as the carrier envelope, deduplicated per attempt', async () => {
    // Prepare
    const handler = await outbox();
    const item = messageItem('m1', 'c-b', { from: 'ACME' });
    // Act
    const result = await handler({ Records: [insert('1', item)] });
    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.sends).toEqual([
      {
        queueUrl: CARRIER_B,
        entries: [
          {
            MessageBody: JSON.stringify({ v: 1, messageId: 'm1', tenantId: 'acme', attempt: 1, carrierId: 'c-b', to: '+447400123456', from: 'ACME', text: 'Your code is 123456', encoding: 'GSM7', segments: 1, validUntil: '2030-01-01T00:00:00.000Z' }),
            MessageGroupId: 'm1',
            MessageDeduplicationId: 'm1#1',
          },
        ],
      },
    ]);
    expect(aws.sentTo(INGEST)).toEqual([]);
  });

  it('its two status events, ACCEPTED then ROUTED, are published after the send, one per request, in order', async () => {
    const handler = await outbox();
    await handler({ Records: [insert('1', messageItem('m1', 'c-a'))] });
    expect(aws.publishes.map((p) => p.entries.map((e) => [JSON.parse(e.Message).status, e.MessageGroupId, e.MessageDeduplicationId]))).toEqual([[['ACCEPTED', 'm1', 'm1:0']], [['ROUTED', 'm1', 'm1:1']]]);
    const routed = JSON.parse(aws.publishes[1]!.entries[0]!.Message);
    expect(routed).toMatchObject({ status: 'ROUTED', previousStatus: 'ACCEPTED', carrierId: 'c-a', attempt: 1 });
  });

  it('a message stored ACCEPTED (no route at acceptance) goes to the ingest queue, for the router', async () => {
    const handler = await outbox();
    await handler({ Records: [insert('1', messageItem('m1', undefined))] });
    expect(aws.sentTo(INGEST)).toEqual(['m1']);
    expect(JSON.parse(aws.sends[0]!.entries[0]!.MessageBody)).not.toHaveProperty('text');
    expect(aws.sends[0]!.entries[0]!.MessageDeduplicationId).toBe('m1#1');
  });

  it('changes that send nothing to a queue only publish their events', async () => {
    const handler = await outbox();
    const item = messageItem('m9', 'c-a');
    const result = await handler({ Records: [modify('9', item, submitted(item))] });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.sends).toEqual([]);
    expect(aws.events()).toEqual(['m9 SUBMITTED']);
  });
});

describe('outbox handler: batches', () => {
  it('sends ten to a request per queue, and publishes ten to a request', async () => {
    // Prepare: 25 routed messages to c-a, 3 to c-b
    const handler = await outbox();
    const records = [...Array.from({ length: 25 }, (_, i) => insert(String(i + 1), messageItem(`a${i}`, 'c-a'))), ...Array.from({ length: 3 }, (_, i) => insert(String(i + 26), messageItem(`b${i}`, 'c-b')))];
    // Act
    const result = await handler({ Records: records });
    // Assess: 28 sends in 4 requests, 56 events in 6
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.sends.map((s) => [s.queueUrl, s.entries.length])).toEqual([
      [CARRIER_A, 10],
      [CARRIER_A, 10],
      [CARRIER_A, 5],
      [CARRIER_B, 3],
    ]);
    expect(aws.publishes.map((p) => p.entries.length)).toEqual([10, 10, 8, 10, 10, 8]);
    expect(aws.sentTo(CARRIER_A)).toEqual(Array.from({ length: 25 }, (_, i) => `a${i}`));
  });

  it('reports the record whose send failed, and neither sends nor publishes for it; the others go on', async () => {
    // Prepare: SQS fails m2's entry
    const handler = await outbox();
    aws.failSend = (body) => body.messageId === 'm2';
    // Act
    const result = await handler({ Records: [insert('1', messageItem('m1', 'c-a')), insert('2', messageItem('m2', 'c-a')), insert('3', messageItem('m3', 'c-a'))] });
    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    expect(aws.sends).toHaveLength(1);
    expect(aws.events()).toEqual(['m1 ACCEPTED', 'm3 ACCEPTED', 'm1 ROUTED', 'm3 ROUTED']);
  });

  it('a failed publish holds back the same message\'s later changes, and only them', async () => {
    // Prepare: publishing m1's ROUTED fails
    const handler = await outbox();
    aws.failPublish = (e) => e.messageId === 'm1' && e.status === 'ROUTED';
    const m1 = messageItem('m1', 'c-a');
    const m2 = messageItem('m2', 'c-a');
    // Act
    const result = await handler({ Records: [insert('1', m1), insert('2', m2), modify('3', m1, submitted(m1)), modify('4', m2, submitted(m2))] });
    // Assess: m1's SUBMITTED is never sent ahead of its ROUTED
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '1' }, { itemIdentifier: '3' }] });
    expect(aws.events()).not.toContain('m1 SUBMITTED');
    expect(aws.events().filter((e) => e.startsWith('m2'))).toEqual(['m2 ACCEPTED', 'm2 ROUTED', 'm2 SUBMITTED']);
  });

  it('a refused request fails the records in it', async () => {
    const handler = await outbox();
    aws.refuse = 'sqs';
    const result = await handler({ Records: [insert('1', messageItem('m1', 'c-a')), insert('2', messageItem('m2', 'c-b'))] });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '1' }, { itemIdentifier: '2' }] });
    expect(aws.publishes).toEqual([]);
  });

  it('a malformed message record fails alone, with its message\'s later records', async () => {
    const handler = await outbox();
    const bad = messageItem('m1', 'c-a', { segments: 'one' });
    const result = await handler({ Records: [insert('1', bad), insert('2', messageItem('m2', 'c-a')), modify('3', bad, submitted(bad))] });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '1' }, { itemIdentifier: '3' }] });
    expect(aws.sentTo(CARRIER_A)).toEqual(['m2']);
  });
});

describe('outbox handler: which status events are published (statusEvents.publish)', () => {
  it('callbacks: only events of messages with a callback URL, the message\'s or the tenant\'s', async () => {
    // Prepare: acme has no default callback URL, tenant hooked has one
    const handler = await outbox({ publish: 'callbacks' });
    const records = [
      insert('1', messageItem('plain', 'c-a')),
      insert('2', messageItem('own-url', 'c-a', { callbackUrl: 'https://acme.example/hooks' })),
      insert('3', messageItem('tenant-url', 'c-a', { tenantId: 'hooked' })),
    ];
    // Act
    const result = await handler({ Records: records });
    // Assess: every message is still sent to its queue
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.sentTo(CARRIER_A)).toEqual(['plain', 'own-url', 'tenant-url']);
    expect(aws.events()).toEqual(['own-url ACCEPTED', 'tenant-url ACCEPTED', 'own-url ROUTED', 'tenant-url ROUTED']);
    expect(aws.publishes.flatMap((p) => p.entries.map((e) => e.MessageAttributes.callback!.StringValue))).toEqual(['yes', 'yes', 'yes', 'yes']);
  });

  it('callbacks: a change of a message without one publishes nothing at all', async () => {
    const handler = await outbox({ publish: 'callbacks' });
    const item = messageItem('plain', 'c-a');
    await handler({ Records: [modify('1', item, submitted(item))] });
    expect(aws.publishes).toEqual([]);
  });

  it('all: every event, each marked for the webhook subscription\'s filter', async () => {
    const handler = await outbox({ publish: 'all' });
    await handler({ Records: [insert('1', messageItem('plain', 'c-a')), insert('2', messageItem('tenant-url', 'c-a', { tenantId: 'hooked' }))] });
    expect(aws.events()).toEqual(['plain ACCEPTED', 'tenant-url ACCEPTED', 'plain ROUTED', 'tenant-url ROUTED']);
    const callback = Object.fromEntries(aws.publishes.flatMap((p) => p.entries.map((e) => [JSON.parse(e.Message).messageId, e.MessageAttributes.callback!.StringValue])));
    expect(callback).toEqual({ plain: 'no', 'tenant-url': 'yes' });
  });
});

describe('outbox handler: logs', () => {
  it('one OUTBOX_BATCH line per invocation with its counts, a failed record at WARN with its message id, nothing per send or publish', async () => {
    // Prepare: the handler logging at INFO; a message that a callbacks-only topic does not hear of; SQS fails m2's entry
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    const handler = await outbox({ publish: 'callbacks' });
    const logs = captureLogs();
    aws.failSend = (body) => body.messageId === 'm2';
    const records = [insert('1', messageItem('m1', 'c-a', { tenantId: 'hooked' })), insert('2', messageItem('m2', 'c-a', { tenantId: 'hooked' })), insert('3', messageItem('plain', 'c-a'))];
    // Act
    await handler({ Records: records });
    // Assess
    expect(logs().map((l) => `${l.level} ${l.message}`)).toEqual(['WARN RECORD_FAILED', 'INFO OUTBOX_BATCH']);
    expect(logs()[0]).toMatchObject({ messageId: 'm2', eventName: 'INSERT', sequenceNumber: '2', problem: expect.stringContaining('InternalError') });
    expect(logs()[1]).toMatchObject({ records: 3, enqueued: 2, published: 2, unpublished: 2, failed: 1 });
  });
});

describe('outbox handler: usage by status', () => {
  const delivered = (item: Record<string, unknown>) => ({ ...item, status: 'DELIVERED', history: [...(item.history as unknown[]), { status: 'DELIVERED', at: AT }] });

  it('adds the messages that became final to their day’s status figures, one write per tenant and day, last', async () => {
    const handler = await outbox();
    const m1 = submitted(messageItem('m1', 'c-a', { segments: 2, price: 0.08 }));
    const m2 = submitted(messageItem('m2', 'c-a'));
    const result = await handler({ Records: [modify('1', m1, delivered(m1)), modify('2', m2, delivered(m2)), insert('3', messageItem('m3', 'c-a', { usageCounted: true }))] });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.usageUpdates).toEqual([{ sk: 'DAY#2026-01-01', adds: { 'DELIVERED#messages': 2, 'DELIVERED#segments': 3, 'DELIVERED#spend': 80_000 } }]);
  });

  it('adds the new messages the API did not count (a tenant without caps) to the day’s totals and their country’s, in the same write', async () => {
    const handler = await outbox();
    await handler({ Records: [insert('1', messageItem('m1', 'c-a', { country: 'GB', segments: 2, price: 0.08 })), insert('2', messageItem('m2', 'c-a', { country: 'GB' }))] });
    expect(aws.usageUpdates).toEqual([{ sk: 'DAY#2026-01-01', adds: { messages: 2, segments: 3, spend: 80_000, 'GB#messages': 2, 'GB#segments': 3, 'GB#spend': 80_000 } }]);
  });

  it('counts only the records before the first failure: the stream delivers the rest again', async () => {
    const handler = await outbox();
    aws.failSend = (body) => body.messageId === 'm2';
    const m1 = submitted(messageItem('m1', 'c-a'));
    const m3 = submitted(messageItem('m3', 'c-a'));
    await handler({ Records: [modify('1', m1, delivered(m1)), insert('2', messageItem('m2', 'c-a')), modify('3', m3, delivered(m3))] });
    expect(aws.usageUpdates.map((u) => u.adds['DELIVERED#messages'])).toEqual([1]);
  });

  it('fails the counted records when the write fails, so that the retry counts them once', async () => {
    const handler = await outbox();
    aws.refuse = 'dynamodb';
    const m1 = submitted(messageItem('m1', 'c-a'));
    const result = await handler({ Records: [modify('1', m1, delivered(m1))] });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '1' }]);
  });
});
