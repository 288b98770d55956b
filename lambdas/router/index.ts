/**
 * Ingest queue → routing table → carrier queue: retries, and the messages the API
 * stored unrouted (no route: REJECTED). Partial batch failures: a poison record
 * fails alone and, after maxReceiveCount, lands in the DLQ. One INFO line per
 * invocation; each record's outcome at DEBUG, a failed record at WARN.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { CarrierHealth } from '../../core/aws/carrier-health';
import { readEnv, RouterEnv } from '../../core/aws/env';
import { MessageStore } from '../../core/aws/message-store';
import { CarrierQueues } from '../../core/aws/queues';
import { runtimeConfig } from '../../core/config/runtime';
import { IngestEnvelope } from '../../core/domain/envelopes';
import { routeMessage } from '../../core/domain/route-message';
import { RoutingTable } from '../../core/domain/routing';
import { createLogger, LogEvent } from '../../core/util/logger';
import { createMetrics, LambdaMetric, withMetrics } from '../../core/util/metrics';

const logger = createLogger('router');
const metrics = createMetrics('router');
const config = runtimeConfig();
const env = readEnv(RouterEnv);
const messages = new MessageStore(env.TABLE_NAME, config.retentionDays);
const queues = new CarrierQueues(env.CARRIER_QUEUE_URLS);
const health = new CarrierHealth(env.TABLE_NAME, config.carriers.map((c) => c.id), config.health.staleAfterSeconds);
const table = new RoutingTable(config.routes);
const processor = new BatchProcessor(EventType.SQS);

type Tally = Record<'routed' | 'rejected' | 'expired' | 'skipped' | 'failed', number>;

async function routeRecord(record: SQSRecord, tally: Tally): Promise<void> {
  try {
    await route(record, tally);
  } catch (err) {
    tally.failed++;
    logger.warn(LogEvent.RECORD_FAILED, { sqsMessageId: record.messageId, error: (err as Error).name, problem: (err as Error).message });
    throw err;
  }
}

async function route(record: SQSRecord, tally: Tally): Promise<void> {
  const envelope = IngestEnvelope.parse(JSON.parse(record.body));
  const result = await routeMessage(envelope, table, {
    transition: (id, to, options) => messages.transition(id, to, options),
    enqueueForCarrier: (e) => queues.enqueue(e),
    health: () => health.current(),
    now: () => new Date(),
  });
  const event = result.outcome === 'routed' ? LogEvent.MESSAGE_ROUTED : result.outcome === 'skipped' ? LogEvent.TRANSITION_SKIPPED : LogEvent.MESSAGE_REJECTED;
  tally[result.outcome]++;
  logger.debug(event, { messageId: envelope.messageId, attempt: envelope.attempt, ...result });
  // A redelivered record re-sends what was already counted: count first routings only.
  if (result.outcome === 'routed' && !result.redelivered) {
    metrics.count(LambdaMetric.MessagesRouted, 1, { Carrier: result.carrierId });
    if (result.routeId) metrics.count(LambdaMetric.MessagesRouted, 1, { Route: result.routeId });
  }
  if (result.outcome === 'rejected') metrics.count(LambdaMetric.MessagesRejected, 1, { Reason: result.reason });
}

// Metrics are written after each invocation, batch failures or not.
export const handler = withMetrics(metrics, async (event: SQSEvent, context: Context) => {
  const tally: Tally = { routed: 0, rejected: 0, expired: 0, skipped: 0, failed: 0 };
  try {
    return await processPartialResponse(event, (record: SQSRecord) => routeRecord(record, tally), processor, { context });
  } finally {
    logger.info(LogEvent.ROUTER_BATCH, { records: event.Records.length, ...tally });
  }
});
