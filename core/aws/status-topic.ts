/**
 * The FIFO status topic: status events published in batches (PublishBatch, up to 10),
 * one message group per message so subscribers see a message's changes in order, and
 * the event id as deduplication id, so a redelivered stream record publishes nothing twice.
 */
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import { hasCallback, type StatusEvent } from '../domain/status-event';
import { entryOutcomes } from '../util/ordered-batches';
import { sns } from './clients';

export class StatusTopic {
  constructor(
    readonly arn: string,
    /** Tenants with a default callback URL: their events carry `callback: yes` too. */
    private readonly tenantsWithCallback: ReadonlySet<string>,
    private readonly client: SNSClient = sns(),
  ) {}

  /**
   * Publishes up to 10 events in one request. Per event, in order: undefined when SNS took it,
   * else its failure (`<code>: <message>`). A failed request throws.
   */
  async publishBatch(events: readonly StatusEvent[]): Promise<(string | undefined)[]> {
    const out = await this.client.send(
      new PublishBatchCommand({
        TopicArn: this.arn,
        PublishBatchRequestEntries: events.map((event, i) => ({
          Id: String(i),
          Message: JSON.stringify(event),
          MessageGroupId: event.messageId,
          MessageDeduplicationId: event.eventId,
          MessageAttributes: {
            status: { DataType: 'String', StringValue: event.status },
            tenantId: { DataType: 'String', StringValue: event.tenantId },
            // The webhook subscription's filter: no callback URL, no dispatcher invocation.
            callback: { DataType: 'String', StringValue: hasCallback(event, this.tenantsWithCallback) ? 'yes' : 'no' },
          },
        })),
      }),
    );
    return entryOutcomes(events.length, out.Successful, out.Failed);
  }
}
