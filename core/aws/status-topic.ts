/**
 * The FIFO status topic: status events published in batches (PublishBatch, up to 10),
 * one message group per message so subscribers see a message's changes in order, and
 * the event id as deduplication id, so a redelivered stream record publishes nothing twice.
 * Opt-out events go the same way, one message group per tenant and number (and sender), so a
 * receiver sees an opt-out and its removal in the order they happened. message.inbound events go
 * one message group per inbound message (they have no order among them to keep), and are for the
 * webhook only when their tenant has an inboundUrl.
 *
 * `one-by-one` is for emulators only: MiniStack fans PublishBatch entries out to a FIFO
 * subscription without their message group, so the webhook queue's order per message
 * would not hold there. It publishes the same entries with one Publish each, in parallel
 * (never two of one message: ordered-batches.ts), with the same outcomes.
 */
import { PublishBatchCommand, PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import { isInboundWebhookEvent, isOptOutEvent, type TopicEvent } from '../domain/opt-out-event';
import { hasCallback } from '../domain/status-event';
import { entryOutcomes } from '../util/ordered-batches';
import { sns } from './clients';

export class StatusTopic {
  constructor(
    readonly arn: string,
    /** Tenants with a default callback URL: their events carry `callback: yes` too. */
    private readonly tenantsWithCallback: ReadonlySet<string>,
    private readonly client: SNSClient = sns(),
    private readonly mode: 'batch' | 'one-by-one' = 'batch',
    /** Tenants with an inboundUrl: their message.inbound events carry `callback: yes`. */
    private readonly tenantsWithInboundUrl: ReadonlySet<string> = new Set(),
  ) {}

  /**
   * Publishes up to 10 events in one request. Per event, in order: undefined when SNS took it,
   * else its failure (`<code>: <message>`). A failed request throws.
   */
  async publishBatch(events: readonly TopicEvent[]): Promise<(string | undefined)[]> {
    const entries = events.map((event) => ({
      Message: JSON.stringify(event),
      MessageGroupId: isOptOutEvent(event) ? optOutGroup(event) : isInboundWebhookEvent(event) ? event.eventId : event.messageId,
      MessageDeduplicationId: event.eventId,
      MessageAttributes: {
        type: { DataType: 'String', StringValue: event.type },
        ...(isOptOutEvent(event) || isInboundWebhookEvent(event) ? {} : { status: { DataType: 'String', StringValue: event.status } }),
        tenantId: { DataType: 'String', StringValue: event.tenantId },
        // The webhook subscription's filter: no callback URL, no dispatcher invocation.
        callback: { DataType: 'String', StringValue: this.wantsWebhook(event) ? 'yes' : 'no' },
      } satisfies Record<string, MessageAttributeValue>,
    }));
    if (this.mode === 'one-by-one') {
      return Promise.all(
        entries.map((e) => this.client.send(new PublishCommand({ TopicArn: this.arn, ...e })).then(
          () => undefined,
          (err: unknown) => `${(err as Error).name}: ${(err as Error).message}`,
        )),
      );
    }
    const out = await this.client.send(new PublishBatchCommand({ TopicArn: this.arn, PublishBatchRequestEntries: entries.map((e, i) => ({ Id: String(i), ...e })) }));
    return entryOutcomes(events.length, out.Successful, out.Failed);
  }

  private wantsWebhook(event: TopicEvent): boolean {
    return isInboundWebhookEvent(event) ? this.tenantsWithInboundUrl.has(event.tenantId) : hasCallback(event, this.tenantsWithCallback);
  }
}

/** An opt-out's message group: its tenant, number and sender (printable ASCII, under SNS's 128 characters). */
function optOutGroup(event: { tenantId: string; number: string; sender?: string }): string {
  return `opt-out:${event.tenantId}:${event.number}${event.sender !== undefined ? `#${event.sender}` : ''}`;
}
