/**
 * The webhook queue's bookkeeping against a mocked SQS client: the retry's
 * visibility change, the dead letter's message attributes, and a group's
 * backoff given to the records the batch skipped.
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GroupBackoff } from '../../core/webhook/group-backoff';
import { WebhookQueue } from '../../core/webhook/webhook-queue';
import { sqsRecord, statusEvent } from '../support/factories';

const QUEUE_URL = 'https://sqs.local/000000000000/webhooks.fifo';
const DLQ_URL = 'https://sqs.local/000000000000/webhooks-dlq.fifo';

afterEach(() => vi.restoreAllMocks());

/** A WebhookQueue on an SQS client that records each call; a visibility change of a handle in `failing` is refused. */
function webhookQueue(failing: ReadonlySet<string> = new Set()) {
  const client = new SQSClient({ region: 'us-east-1' });
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  vi.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
    if (command instanceof ChangeMessageVisibilityCommand) {
      calls.push({ name: 'ChangeMessageVisibility', input: { ...command.input } });
      if (failing.has(command.input.ReceiptHandle ?? '')) throw Object.assign(new Error('receipt handle expired'), { name: 'ReceiptHandleIsInvalid' });
    } else if (command instanceof SendMessageCommand) {
      calls.push({ name: 'SendMessage', input: { ...command.input } });
    } else {
      throw new Error('unexpected SQS command');
    }
    return {};
  }) as never);
  return { queue: new WebhookQueue({ queueUrl: QUEUE_URL, dlqUrl: DLQ_URL }, client), calls };
}

describe('WebhookQueue', () => {
  it('hands a message back after the delay with a visibility change on the webhook queue', async () => {
    const { queue, calls } = webhookQueue();
    await queue.retryAfter('rh-1', 45);
    expect(calls).toEqual([{ name: 'ChangeMessageVisibility', input: { QueueUrl: QUEUE_URL, ReceiptHandle: 'rh-1', VisibilityTimeout: 45 } }]);
  });

  it('dead-letters the body with the failure reason, the event id and the attempts as message attributes', async () => {
    // Prepare
    const { queue, calls } = webhookQueue();
    const body = JSON.stringify(statusEvent());
    // Act
    await queue.deadLetter(body, { reason: 'gave up after 55 attempts: HTTP 503', eventId: 'm1:3', attempts: 55 });
    // Assess
    expect(calls).toEqual([
      {
        name: 'SendMessage',
        input: {
          QueueUrl: DLQ_URL,
          MessageBody: body,
          MessageAttributes: {
            failureReason: { DataType: 'String', StringValue: 'gave up after 55 attempts: HTTP 503' },
            eventId: { DataType: 'String', StringValue: 'm1:3' },
            attempts: { DataType: 'Number', StringValue: '55' },
          },
        },
      },
    ]);
  });

  it('cuts a long failure reason to 1024 characters', async () => {
    const { queue, calls } = webhookQueue();
    await queue.deadLetter('{}', { reason: `network error: ${'x'.repeat(5000)}`, eventId: 'm1:3', attempts: 1 });
    const attributes = calls[0]?.input.MessageAttributes as Record<string, { StringValue: string }>;
    expect(attributes.failureReason?.StringValue).toHaveLength(1024);
  });
});

describe('GroupBackoff', () => {
  // Group m1: its first event was delivered, the second failed (backoff 40 s), the third was skipped.
  // Group m2 was delivered; m3 failed without a backoff (not a status event); the last record has no group.
  const records = [
    sqsRecord('{}', 1, 'm1-a', 'm1'),
    sqsRecord('{}', 1, 'm1-b', 'm1'),
    sqsRecord('{}', 1, 'm1-c', 'm1'),
    sqsRecord('{}', 1, 'm2-a', 'm2'),
    sqsRecord('{}', 1, 'm3-a', 'm3'),
    sqsRecord('{}', 1, 'loose'),
  ];
  const response = { batchItemFailures: ['m1-b', 'm1-c', 'm3-a', 'loose'].map((itemIdentifier) => ({ itemIdentifier })) };

  it('gives the failed event’s backoff to the records of its group the batch reported, and to no other', async () => {
    // Prepare
    const { queue, calls } = webhookQueue();
    const backoff = new GroupBackoff();
    backoff.remember('m1', 40);
    backoff.remember(undefined, 30);
    // Act
    await backoff.applyToFailed(records, response, queue, () => undefined);
    // Assess
    expect(calls.map((c) => [c.input.ReceiptHandle, c.input.VisibilityTimeout])).toEqual([
      ['rh-m1-b-1', 40],
      ['rh-m1-c-1', 40],
    ]);
  });

  it('reports a visibility change that fails and still makes the others', async () => {
    // Prepare
    const { queue, calls } = webhookQueue(new Set(['rh-m1-b-1']));
    const backoff = new GroupBackoff();
    backoff.remember('m1', 40);
    const errors: unknown[] = [];
    // Act
    await backoff.applyToFailed(records, response, queue, (err) => errors.push(err));
    // Assess
    expect(errors).toEqual([expect.objectContaining({ name: 'ReceiptHandleIsInvalid' })]);
    expect(calls.map((c) => c.input.ReceiptHandle)).toEqual(['rh-m1-b-1', 'rh-m1-c-1']);
  });

  it('changes nothing when no group failed', async () => {
    const { queue, calls } = webhookQueue();
    await new GroupBackoff().applyToFailed(records, response, queue, () => undefined);
    expect(calls).toEqual([]);
  });
});
