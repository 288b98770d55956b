/**
 * The table stream is the outbox: the API writes only the message record, and
 * this function turns each new record (and each removed retry timer) into an
 * ingest-queue message. A failed
 * send fails that stream record alone (partial batch response) and the stream
 * retries it, so a stored message is always enqueued — the record and the queue
 * cannot diverge, because there is only one write to make durable.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaEnv } from '../../core/aws/env';
import { IngestQueue } from '../../core/aws/queues';
import { planOutbox } from '../../core/domain/outbox';
import { createLogger, LogEvent } from '../../core/util/logger';

const logger = createLogger('outbox');
const env = lambdaEnv();
const ingest = new IngestQueue(env.INGEST_QUEUE_URL ?? '');
const processor = new BatchProcessor(EventType.DynamoDBStreams);

function image(raw: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;
}

async function relay(record: DynamoDBRecord): Promise<void> {
  const envelope = planOutbox(record.eventName, image(record.dynamodb?.OldImage), image(record.dynamodb?.NewImage));
  if (!envelope) return;
  await ingest.enqueue(envelope);
  logger.info(LogEvent.MESSAGE_ENQUEUED, { messageId: envelope.messageId, attempt: envelope.attempt });
}

export const handler = async (event: DynamoDBStreamEvent, context: Context) =>
  processPartialResponse(event, relay, processor, { context });
