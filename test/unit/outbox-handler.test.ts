/**
 * The outbox's failure case: when the send to the ingest queue fails, that
 * stream record (and only it) is reported as a batch item failure, so the
 * stream delivers it again and the stored message is not lost.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The handler reads its environment at module load.
vi.hoisted(() => {
  process.env.INGEST_QUEUE_URL = 'https://sqs.local/ingest.fifo';
  process.env.STATUS_TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:status.fifo';
  process.env.AWS_REGION = 'us-east-1';
  process.env.GATEWAY_RUNTIME_CONFIG = JSON.stringify({ version: 1, tenants: [] });
});

import { handler } from '../../lambdas/outbox/index';

afterEach(() => vi.restoreAllMocks());
// Status events of the records are published: accepted by a stub.
beforeEach(() => {
  vi.spyOn(SNSClient.prototype, 'send').mockResolvedValue({} as never);
});

function insert(seq: string, id: string) {
  const at = '2026-01-01T00:00:00.000Z';
  const item = { pk: `MSG#${id}`, sk: 'MSG', kind: 'message', id, tenantId: 'acme', status: 'ACCEPTED', to: '+447400123456', type: 'transactional', validUntil: '2030-01-01T00:00:00.000Z', segments: 1, attempt: 0, createdAt: at, history: [{ status: 'ACCEPTED', at }] };
  return { eventID: seq, eventName: 'INSERT' as const, eventSource: 'aws:dynamodb', dynamodb: { SequenceNumber: seq, NewImage: marshall(item) as never } };
}

const context = { getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

describe('outbox handler', () => {
  it('reports the record whose send failed and enqueues the others', async () => {
    // Prepare: the second send fails.
    const sent: string[] = [];
    vi.spyOn(SQSClient.prototype, 'send').mockImplementation((async (command: { input?: { MessageBody?: string } }) => {
      const body = JSON.parse(command.input?.MessageBody ?? '{}') as { messageId: string };
      if (body.messageId === 'm2') throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      sent.push(body.messageId);
      return {};
    }) as never);
    const event: DynamoDBStreamEvent = { Records: [insert('1', 'm1'), insert('2', 'm2'), insert('3', 'm3')] };
    // Act
    const result = await handler(event, context);
    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    expect(sent).toEqual(['m1', 'm3']);
  });

  it('ignores changes that are not new message records', async () => {
    const send = vi.spyOn(SQSClient.prototype, 'send').mockResolvedValue({} as never);
    const modify = { ...insert('9', 'm9'), eventName: 'MODIFY' as const };
    const result = await handler({ Records: [modify] }, context);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(send).not.toHaveBeenCalled();
  });
});
