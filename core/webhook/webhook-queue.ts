/**
 * The webhook queue's side of a failed attempt. One receive is one attempt:
 * a retry hands the queue message back after the backoff delay (SQS then
 * delivers it again with ApproximateReceiveCount + 1), and an event that will
 * not be retried goes to the DLQ with why, straight away — waiting for the
 * redrive policy would keep a dead event cycling for hours.
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

/** A reason is a line for whoever reads the DLQ: a longer one (a receiver's error text) is cut. */
const MAX_REASON_LENGTH = 1024;

export interface DeadLetter {
  reason: string;
  eventId: string;
  /** Attempts made, the last one included. */
  attempts: number;
}

export class WebhookQueue {
  constructor(
    private readonly urls: { queueUrl: string; dlqUrl: string },
    // Not core/aws/clients' shared client: that module would load the DynamoDB client into this function too.
    private readonly client: SQSClient = new SQSClient({}),
  ) {}

  /** Makes the received queue message visible again in `delaySeconds`. */
  async retryAfter(receiptHandle: string, delaySeconds: number): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.urls.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: delaySeconds }));
  }

  /** Sends the queue message's body to the DLQ, with the reason, the event id and the attempts as message attributes. */
  async deadLetter(body: string, letter: DeadLetter): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.urls.dlqUrl,
        MessageBody: body,
        MessageAttributes: {
          failureReason: { DataType: 'String', StringValue: letter.reason.slice(0, MAX_REASON_LENGTH) },
          eventId: { DataType: 'String', StringValue: letter.eventId },
          attempts: { DataType: 'Number', StringValue: String(letter.attempts) },
        },
      }),
    );
  }
}
