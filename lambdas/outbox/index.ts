/**
 * The table stream is the outbox. The API writes only the message record; this
 * function turns
 * - each new message record, and each removed retry timer, into an ingest-queue
 *   message (FIFO, deduplicated per message attempt);
 * - each status change of a message into a status event on the FIFO status
 *   topic (one group per message, so events keep their order; deduplicated by
 *   event id, so a redelivered stream record publishes nothing twice).
 * A failed send fails that stream record alone (partial batch response) and the
 * stream retries it: a stored change is never lost, because there is only one
 * write to make durable.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { PublishCommand } from '@aws-sdk/client-sns';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { sns } from '../../core/aws/clients';
import { OutboxEnv, readEnv } from '../../core/aws/env';
import { IngestQueue } from '../../core/aws/queues';
import { messageIdOf } from '../../core/aws/table-keys';
import { runtimeConfig } from '../../core/config/runtime';
import { planOutbox } from '../../core/domain/outbox';
import { statusEventsFromChange } from '../../core/domain/status-event';
import { createLogger, LogEvent } from '../../core/util/logger';

const logger = createLogger('outbox');
const env = readEnv(OutboxEnv);
const ingest = new IngestQueue(env.INGEST_QUEUE_URL);
const processor = new BatchProcessor(EventType.DynamoDBStreams);
const tenantCallbacks = new Set(runtimeConfig().tenants.filter((t) => t.callbackUrl).map((t) => t.id));

function image(raw: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;
}

async function relay(record: DynamoDBRecord): Promise<void> {
  const oldImage = image(record.dynamodb?.OldImage);
  const newImage = image(record.dynamodb?.NewImage);
  const envelope = planOutbox(record.eventName, oldImage, newImage);
  if (envelope) {
    await ingest.enqueue(envelope);
    logger.info(LogEvent.MESSAGE_ENQUEUED, { messageId: envelope.messageId, attempt: envelope.attempt });
  }
  for (const event of statusEventsFromChange(oldImage, newImage)) {
    await sns().send(
      new PublishCommand({
        TopicArn: env.STATUS_TOPIC_ARN,
        Message: JSON.stringify(event),
        MessageGroupId: event.messageId,
        MessageDeduplicationId: event.eventId,
        MessageAttributes: {
          status: { DataType: 'String', StringValue: event.status },
          tenantId: { DataType: 'String', StringValue: event.tenantId },
          // The webhook subscription's filter: no callback URL, no dispatcher invocation.
          callback: { DataType: 'String', StringValue: event.callbackUrl || tenantCallbacks.has(event.tenantId) ? 'yes' : 'no' },
        },
      }),
    );
  }
}

/** The message a stream record belongs to (its record, or one of its retry timers). */
function messageOf(record: DynamoDBRecord): string | undefined {
  const pk = record.dynamodb?.Keys?.pk?.S;
  return pk === undefined ? undefined : messageIdOf(pk);
}

// In order: a message's changes arrive in order on its shard and must be published in that order.
// When one fails, the message's later records in this batch fail with it, so the stream delivers
// them again after it; other messages go on.
export const handler = async (event: DynamoDBStreamEvent, context: Context) => {
  const failed = new Set<string>();
  return processPartialResponse(
    event,
    async (record: DynamoDBRecord) => {
      const messageId = messageOf(record);
      if (messageId !== undefined && failed.has(messageId)) {
        throw new Error(`an earlier change of message ${messageId} in this batch failed; this one follows it when the stream retries`);
      }
      try {
        await relay(record);
      } catch (err) {
        if (messageId !== undefined) failed.add(messageId);
        throw err;
      }
    },
    processor,
    { context, processInParallel: false },
  );
};
