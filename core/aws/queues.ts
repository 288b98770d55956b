/**
 * SQS queues of the pipeline: the ingest queue (messages to route) and one
 * queue per carrier, all FIFO with one message group per message (no
 * head-of-line blocking) and deduplication on message id + attempt: the same
 * attempt sent twice within SQS's five-minute window is delivered once, whoever
 * sends it (router, outbox, sweeper) and however often.
 */
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CarrierEnvelope, IngestEnvelope } from '../domain/envelopes';
import { entryOutcomes } from '../util/ordered-batches';
import { sqs } from './clients';

/** What SQS is sent for one envelope, single or in a batch. */
export interface QueueMessage {
  MessageBody: string;
  MessageGroupId: string;
  MessageDeduplicationId: string;
}

/** The queue message of an envelope: one group per message, deduplicated per attempt. */
export function queueMessage(envelope: IngestEnvelope | CarrierEnvelope): QueueMessage {
  return {
    MessageBody: JSON.stringify(envelope),
    // One group per message: no head-of-line blocking, exactly-once receive per attempt.
    MessageGroupId: envelope.messageId,
    MessageDeduplicationId: `${envelope.messageId}#${envelope.attempt}`,
  };
}

/**
 * Up to 10 messages to one queue in one SendMessageBatch. Per message, in order: undefined
 * when SQS took it, else its failure (`<code>: <message>`). A failed request throws.
 */
export async function sendMessageBatch(client: SQSClient, queueUrl: string, messages: readonly QueueMessage[]): Promise<(string | undefined)[]> {
  const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ...m })) }));
  return entryOutcomes(messages.length, out.Successful, out.Failed);
}

export class IngestQueue {
  constructor(
    readonly url: string,
    private readonly client: SQSClient = sqs(),
  ) {}

  async enqueue(envelope: IngestEnvelope): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.url, ...queueMessage(envelope) }));
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
    await this.client.send(new SendMessageCommand({ QueueUrl: this.urlOf(envelope.carrierId), ...queueMessage(envelope) }));
  }
}
