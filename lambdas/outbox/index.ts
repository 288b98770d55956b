/**
 * The table stream is the outbox. The API writes only the message record; this
 * function turns
 * - each new message record into its first attempt's queue message: the carrier
 *   envelope, to the carrier's queue, when the API routed it (ROUTED), else an
 *   ingest envelope for the router (ACCEPTED); each removed retry timer into an
 *   ingest envelope of the next attempt (all FIFO, deduplicated per message attempt);
 * - each status change of a message into a status event on the FIFO status topic
 *   (one group per message, so events keep their order; deduplicated by event id, so
 *   a redelivered stream record publishes nothing twice), when someone listens
 *   (statusEvents.publish);
 * - each change of state of an opt-out into an opt_out event on the same topic, in order
 *   per tenant and number;
 * - each recorded inbound message into its message.inbound event on the same topic (for the
 *   tenant's inboundUrl) and its InboundEvent on the inbound topic.
 * Sends go ten to a request (SendMessageBatch per queue, PublishBatch), a message's
 * in order (core/util/ordered-batches.ts). A failed send fails that stream record and
 * the message's later ones (partial batch response) and the stream retries them: a
 * stored change is never lost, because there is only one write to make durable.
 * Last, the status changes of the records before the first failure are added to the
 * tenants' usage by status (core/aws/status-counts.ts).
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { sns, sqs } from '../../core/aws/clients';
import { OutboxEnv, readEnv } from '../../core/aws/env';
import { CarrierQueues, IngestQueue, queueMessage, sendMessageBatch, type QueueMessage } from '../../core/aws/queues';
import { InboundTopic } from '../../core/aws/inbound-topic';
import { StatusTopic } from '../../core/aws/status-topic';
import { KeyPrefix, messageIdOf } from '../../core/aws/table-keys';
import { addStatusCounts } from '../../core/aws/status-counts';
import { DynamoUsageCounter } from '../../core/aws/usage-counter';
import { runtimeConfig } from '../../core/config/runtime';
import { eventSubject } from '../../core/domain/opt-out-event';
import { planChange, type OutboxEntry, type StatusEventAudience } from '../../core/domain/outbox';
import { sendInOrder, type OrderedWork } from '../../core/util/ordered-batches';
import { createLogger, LogEvent } from '../../core/util/logger';

const logger = createLogger('outbox');
const env = readEnv(OutboxEnv);
const config = runtimeConfig();
const ingest = new IngestQueue(env.INGEST_QUEUE_URL);
const carriers = new CarrierQueues(env.CARRIER_QUEUE_URLS);
const tenantsWithCallback = new Set(config.tenants.filter((t) => t.callbackUrl).map((t) => t.id));
const tenantsWithInboundUrl = new Set(config.tenants.filter((t) => t.inboundUrl).map((t) => t.id));
const topic = new StatusTopic(env.STATUS_TOPIC_ARN, tenantsWithCallback, sns(), env.STATUS_PUBLISH, tenantsWithInboundUrl);
const inboundTopic = new InboundTopic(env.INBOUND_TOPIC_ARN, sns());
const audience: StatusEventAudience = { publish: config.statusEvents.publish, tenantsWithCallback, tenantsWithInboundUrl };
const usage = new DynamoUsageCounter(env.TABLE_NAME);
/** SQS and SNS take at most 10 entries per batch request. */
const MAX_PER_REQUEST = 10;

type Entry = { kind: 'send'; message: QueueMessage; messageId: string; attempt: number } | Extract<OutboxEntry, { kind: 'publish' | 'inbound' }>;

function image(raw: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;
}

/** The message a stream record belongs to (its record, or one of its retry timers). */
function messageOf(record: DynamoDBRecord): string | undefined {
  const pk = record.dynamodb?.Keys?.pk?.S;
  return pk === undefined ? undefined : messageIdOf(pk);
}

/** Whose changes must go out in order: a message's, one opt-out's (tenant, number and sender), or one inbound message's. */
function orderKeyOf(record: DynamoDBRecord): string | undefined {
  const { pk, sk } = { pk: record.dynamodb?.Keys?.pk?.S, sk: record.dynamodb?.Keys?.sk?.S };
  if (pk?.startsWith(KeyPrefix.optOut) || pk?.startsWith(KeyPrefix.inboundMessage)) return `${pk}/${sk}`;
  return messageOf(record);
}

/** A record's entries, each with its channel (a queue URL, the topic ARN); a malformed record throws. */
function plan(record: DynamoDBRecord, counts: { unpublished: number }): OrderedWork<Entry>['entries'] {
  const planned = planChange(record.eventName, image(record.dynamodb?.OldImage), image(record.dynamodb?.NewImage), audience);
  counts.unpublished += planned.unpublished;
  return planned.entries.map((e) => {
    if (e.kind === 'publish') return { channel: topic.arn, entry: e };
    if (e.kind === 'inbound') return { channel: inboundTopic.arn, entry: e };
    const { envelope } = e.send;
    const channel = e.send.queue === 'carrier' ? carriers.urlOf(e.send.envelope.carrierId) : ingest.url;
    return { channel, entry: { kind: 'send', message: queueMessage(envelope), messageId: envelope.messageId, attempt: envelope.attempt } };
  });
}

async function sendBatch(channel: string, entries: readonly Entry[]): Promise<readonly (string | undefined)[]> {
  if (channel === topic.arn) return topic.publishBatch(entries.flatMap((e) => (e.kind === 'publish' ? [e.event] : [])));
  if (channel === inboundTopic.arn) return inboundTopic.publishBatch(entries.flatMap((e) => (e.kind === 'inbound' ? [e.event] : [])));
  return sendMessageBatch(sqs(), channel, entries.flatMap((e) => (e.kind === 'send' ? [e.message] : [])));
}

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const counts = { unpublished: 0 };
  const work: OrderedWork<Entry>[] = event.Records.map((record) => {
    const key = orderKeyOf(record);
    try {
      return { key, entries: plan(record, counts) };
    } catch (err) {
      return { key, entries: [], failure: `${(err as Error).name}: ${(err as Error).message}` };
    }
  });
  const outcomes = await sendInOrder(work, sendBatch, MAX_PER_REQUEST);

  const batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
  let enqueued = 0;
  let published = 0;
  event.Records.forEach((record, i) => {
    const messageId = messageOf(record);
    const failure = outcomes[i];
    if (failure !== undefined) {
      batchItemFailures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? record.eventID ?? '' });
      logger.warn(LogEvent.RECORD_FAILED, { messageId, eventName: record.eventName, sequenceNumber: record.dynamodb?.SequenceNumber, problem: failure });
      return;
    }
    for (const { entry } of work[i]!.entries) {
      if (entry.kind === 'send') {
        enqueued++;
        logger.debug(LogEvent.MESSAGE_ENQUEUED, { messageId: entry.messageId, attempt: entry.attempt });
      } else if (entry.kind === 'inbound') {
        published++;
        logger.debug(LogEvent.INBOUND_PUBLISHED, { inboundId: entry.event.id, ...(entry.event.tenantId !== undefined ? { tenantId: entry.event.tenantId } : {}) });
      } else {
        published++;
        const { event: topicEvent } = entry;
        const subject = eventSubject(topicEvent);
        const about = 'status' in subject ? subject : { tenantId: topicEvent.tenantId, ...subject };
        logger.debug(LogEvent.STATUS_PUBLISHED, { eventId: topicEvent.eventId, ...about });
      }
    }
  });
  // Usage by status, last: only the records before the first failure (the stream delivers the rest again).
  const firstFailure = outcomes.findIndex((o) => o !== undefined);
  const done = event.Records.slice(0, firstFailure === -1 ? undefined : firstFailure);
  const changes = done.map((r) => ({ eventName: r.eventName, oldImage: image(r.dynamodb?.OldImage), newImage: image(r.dynamodb?.NewImage) }));
  if (!(await addStatusCounts(usage, changes))) {
    logger.warn(LogEvent.RECORD_FAILED, { records: done.length, problem: 'the usage by status could not be counted' });
    batchItemFailures.unshift(...done.map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? r.eventID ?? '' })));
  }
  // One line per invocation; each record's own lines are at debug (README#operations).
  logger.info(LogEvent.OUTBOX_BATCH, { records: event.Records.length, enqueued, published, unpublished: counts.unpublished, failed: batchItemFailures.length });
  return { batchItemFailures };
};
