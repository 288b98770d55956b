/**
 * SQS queues of the pipeline: the ingest queue (messages to route) and one
 * queue per carrier, all FIFO with one message group per message (no
 * head-of-line blocking) and deduplication on message id + attempt: the same
 * attempt sent twice within SQS's five-minute window is delivered once.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CarrierEnvelope, IngestEnvelope } from '../domain/envelopes';
import { sqs } from './clients';

export class IngestQueue {
  constructor(
    private readonly url: string,
    private readonly client: SQSClient = sqs(),
  ) {}

  async enqueue(envelope: IngestEnvelope): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.url,
        MessageBody: JSON.stringify(envelope),
        MessageGroupId: envelope.messageId,
        MessageDeduplicationId: `${envelope.messageId}#${envelope.attempt}`,
      }),
    );
  }
}

export class UnknownCarrierError extends Error {
  constructor(readonly carrierId: string) {
    super(`no queue for carrier ${carrierId}`);
    this.name = 'UnknownCarrierError';
  }
}

export class CarrierQueues {
  constructor(
    private readonly urls: Readonly<Record<string, string>>,
    private readonly client: SQSClient = sqs(),
  ) {}

  urlOf(carrierId: string): string {
    const url = this.urls[carrierId];
    if (!url) throw new UnknownCarrierError(carrierId);
    return url;
  }

  async enqueue(envelope: CarrierEnvelope): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.urlOf(envelope.carrierId),
        MessageBody: JSON.stringify(envelope),
        // One group per message: no head-of-line blocking, exactly-once receive per attempt.
        MessageGroupId: envelope.messageId,
        MessageDeduplicationId: `${envelope.messageId}#${envelope.attempt}`,
      }),
    );
  }
}
