/**
 * The status topic's two ways to publish a request's events (core/aws/status-topic.ts): PublishBatch
 * on AWS, one Publish each on emulators. Both give every event its message group, its event id as
 * deduplication id and the webhook filter's attributes, and both answer per event.
 */
import { PublishBatchCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { StatusTopic } from '../../core/aws/status-topic';
import { statusEvent } from '../support/factories';

const ARN = 'arn:aws:sns:us-east-1:000000000000:status.fifo';

function fakeSns(answer: (command: unknown) => unknown): { client: SNSClient; sent: unknown[] } {
  const sent: unknown[] = [];
  const client = { send: async (command: unknown) => (sent.push(command), answer(command)) } as unknown as SNSClient;
  return { client, sent };
}

const events = [statusEvent({ messageId: 'm-1', eventId: 'm-1:0', tenantId: 'acme' }), statusEvent({ messageId: 'm-2', eventId: 'm-2:3', tenantId: 'globex' })];

describe('StatusTopic', () => {
  it('publishes a request’s events in one PublishBatch, each with its group, deduplication id and attributes, and answers per event', async () => {
    const { client, sent } = fakeSns(() => ({ Successful: [{ Id: '0' }], Failed: [{ Id: '1', Code: 'InternalError', Message: 'try again', SenderFault: false }] }));
    const outcomes = await new StatusTopic(ARN, new Set(['acme']), client).publishBatch(events);
    expect(sent).toHaveLength(1);
    const input = (sent[0] as PublishBatchCommand).input;
    expect(sent[0]).toBeInstanceOf(PublishBatchCommand);
    expect(input.PublishBatchRequestEntries!.map((e) => [e.MessageGroupId, e.MessageDeduplicationId, e.MessageAttributes!.callback!.StringValue])).toEqual([
      ['m-1', 'm-1:0', 'yes'],
      ['m-2', 'm-2:3', 'no'],
    ]);
    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[1]).toContain('InternalError');
  });

  it('one-by-one (emulators) publishes the same entries with one Publish each, and a failed one fails only its event', async () => {
    const { client, sent } = fakeSns((command) => {
      if ((command as PublishCommand).input.MessageGroupId === 'm-2') throw Object.assign(new Error('throttled'), { name: 'ThrottledException' });
      return {};
    });
    const outcomes = await new StatusTopic(ARN, new Set(['acme']), client, 'one-by-one').publishBatch(events);
    expect(sent.every((c) => c instanceof PublishCommand)).toBe(true);
    expect(sent.map((c) => [(c as PublishCommand).input.TopicArn, (c as PublishCommand).input.MessageGroupId, (c as PublishCommand).input.MessageDeduplicationId, JSON.parse((c as PublishCommand).input.Message!).eventId])).toEqual([
      [ARN, 'm-1', 'm-1:0', 'm-1:0'],
      [ARN, 'm-2', 'm-2:3', 'm-2:3'],
    ]);
    expect(outcomes).toEqual([undefined, 'ThrottledException: throttled']);
  });
});
