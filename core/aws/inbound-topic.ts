/**
 * The inbound topic (standard SNS): the InboundEvent of each recorded inbound message, published
 * by the outbox from the table stream (core/domain/inbound-event.ts), up to 10 a request. The
 * attributes `carrierId` and `tenantId` (when a tenant owns the number) are for subscription
 * filters. A resent stream record can publish an event twice: subscribers drop it by `id`.
 */
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { InboundEvent } from '../domain/inbound-event';
import { entryOutcomes } from '../util/ordered-batches';
import { sns } from './clients';

export class InboundTopic {
  constructor(
    readonly arn: string,
    private readonly client: SNSClient = sns(),
  ) {}

  /** Per event, in order: undefined when SNS took it, else its failure. A failed request throws. */
  async publishBatch(events: readonly InboundEvent[]): Promise<(string | undefined)[]> {
    const out = await this.client.send(
      new PublishBatchCommand({
        TopicArn: this.arn,
        PublishBatchRequestEntries: events.map((event, i) => ({
          Id: String(i),
          Message: JSON.stringify(event),
          MessageAttributes: {
            carrierId: { DataType: 'String', StringValue: event.carrierId },
            ...(event.tenantId !== undefined ? { tenantId: { DataType: 'String', StringValue: event.tenantId } } : {}),
          },
        })),
      }),
    );
    return entryOutcomes(events.length, out.Successful, out.Failed);
  }
}
