/**
 * The outbox keeps each message's status events in order when a publish fails:
 * the message's later changes in the same batch are not published ahead of the
 * failed one but reported failed with it, so the stream delivers them again
 * after it. Other messages' changes go on. (SNS and SQS clients stubbed.)
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The handler reads its environment at module load.
vi.hoisted(() => {
  process.env.INGEST_QUEUE_URL = 'https://sqs.local/ingest.fifo';
  process.env.STATUS_TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:status.fifo';
  process.env.AWS_REGION = 'us-east-1';
  process.env.GATEWAY_RUNTIME_CONFIG = JSON.stringify({ version: 1, tenants: [] });
});

import { handler } from '../../lambdas/outbox/index';

afterEach(() => vi.restoreAllMocks());

const AT = '2026-01-01T00:00:00.000Z';
const context = { getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

/** A message record with the history up to `statuses`. */
function image(id: string, statuses: string[]) {
  return { pk: `MSG#${id}`, sk: 'MSG', kind: 'message', id, tenantId: 'acme', segments: 1, attempt: 1, createdAt: AT, history: statuses.map((status) => ({ status, at: AT })) };
}

/** A MODIFY record of message `id` appending the last of `statuses`. */
function change(seq: string, id: string, statuses: string[]): DynamoDBRecord {
  return {
    eventID: seq,
    eventName: 'MODIFY',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      SequenceNumber: seq,
      Keys: marshall({ pk: `MSG#${id}`, sk: 'MSG' }) as never,
      OldImage: marshall(image(id, statuses.slice(0, -1))) as never,
      NewImage: marshall(image(id, statuses)) as never,
    },
  };
}

describe('outbox handler, a failed publish', () => {
  it('holds back the same message’s later changes, and only them', async () => {
    // Prepare: publishing m1's ROUTED fails once
    const published: string[] = [];
    vi.spyOn(SQSClient.prototype, 'send').mockResolvedValue({} as never);
    vi.spyOn(SNSClient.prototype, 'send').mockImplementation((async (command: PublishCommand) => {
      const event = JSON.parse(command.input.Message ?? '{}') as { messageId: string; status: string };
      if (event.messageId === 'm1' && event.status === 'ROUTED') throw Object.assign(new Error('throttled'), { name: 'Throttling' });
      published.push(`${event.messageId} ${event.status}`);
      return {};
    }) as never);
    const records = [
      change('1', 'm1', ['ACCEPTED', 'ROUTED']),
      change('2', 'm2', ['ACCEPTED', 'ROUTED']),
      change('3', 'm1', ['ACCEPTED', 'ROUTED', 'SUBMITTED']),
      change('4', 'm2', ['ACCEPTED', 'ROUTED', 'SUBMITTED']),
    ];
    // Act
    const result = await handler({ Records: records }, context);
    // Assess: m1's SUBMITTED is not published ahead of its ROUTED; m2 is not held back
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '1' }, { itemIdentifier: '3' }] });
    expect(published).toEqual(['m2 ROUTED', 'm2 SUBMITTED']);
  });
});
