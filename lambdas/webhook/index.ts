/**
 * Status webhooks: webhook queue (subscribed to the status topic with raw
 * message delivery, so each body is a StatusEvent, an OptOutEvent or a message.inbound event) → signed POST to the
 * message's callbackUrl, or its tenant's default (opt-out events: the tenant's only; message.inbound: its inboundUrl). One receive is one attempt;
 * core/webhook/ decides what a failure means for the queue (a backoff, or the
 * DLQ with the reason) and this handler logs it. A record that is not a valid
 * event fails every time and reaches the DLQ through the redrive policy.
 * One INFO line per invocation; each delivery at DEBUG, retries at WARN and
 * dead letters at ERROR (each with its event id).
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { runtimeConfig } from '../../core/config/runtime';
import { eventSubject, type TopicEvent } from '../../core/domain/opt-out-event';
import { createLogger, LogEvent } from '../../core/util/logger';
import { deliverTwilioCallback } from '../../core/twilio/callback';
import { deliverStatusEvent, isTwilioForm, type WebhookPorts } from '../../core/webhook/deliver-status-event';
import { deliverWebhook } from '../../core/webhook/dispatcher';
import { GroupBackoff } from '../../core/webhook/group-backoff';
import { SigningSecrets } from '../../core/webhook/signing-secrets';
import { parseStatusEventBody } from '../../core/webhook/status-event-body';
import { WebhookQueue } from '../../core/webhook/webhook-queue';
import { webhookSettings } from '../../core/webhook/webhook-settings';

/** Lifecycle events of this function (log queries and alarms use these names). */
export const WebhookLogEvent = {
  WEBHOOK_DELIVERED: 'WEBHOOK_DELIVERED',
  WEBHOOK_RETRY: 'WEBHOOK_RETRY',
  WEBHOOK_DEAD_LETTERED: 'WEBHOOK_DEAD_LETTERED',
} as const;

export class WebhookRetryError extends Error {
  constructor(readonly reason: string) {
    super(`webhook delivery will be retried: ${reason}`);
    this.name = 'WebhookRetryError';
  }
}

const logger = createLogger('webhook');
const settings = webhookSettings(process.env);
const queue = new WebhookQueue(settings);
const secrets = new SigningSecrets(settings.secretArns);
// Each tenant's Twilio auth token is a secret of its own, a plain string: read and cached as the signing secrets are.
const twilioTokens = new SigningSecrets({ shared: undefined, perTenant: settings.twilioTokenSecrets });
const tenantOf = (tenantId: string) => runtimeConfig().tenants.find((t) => t.id === tenantId);
const ports: WebhookPorts = {
  tenantCallbackUrl: (tenantId) => tenantOf(tenantId)?.callbackUrl,
  tenantInboundUrl: (tenantId) => tenantOf(tenantId)?.inboundUrl,
  signingSecret: (tenantId) => secrets.forTenant(tenantId),
  twilioAuthToken: (tenantId) => twilioTokens.forTenant(tenantId),
  post: (event, target) => {
    const accountSid = tenantOf(event.tenantId)?.twilio?.accountSid;
    if (!isTwilioForm(event)) return deliverWebhook(event, target, settings.urlRules);
    // A tenant whose account was removed since: retried until its config has one again, then dead-lettered.
    if (accountSid === undefined) return Promise.resolve({ ok: false, retryable: true, reason: `tenant ${event.tenantId} has no Twilio account` });
    return deliverTwilioCallback(event, { url: target.url, authToken: target.secret, accountSid }, settings.urlRules);
  },
  queue,
  retryScale: settings.retryScale,
};
// The queue is FIFO, one message group per message: events of a message are
// delivered in status order, and a failing one holds back the later ones of that
// message only (skipGroupOnError) while other messages go on.
const processor = new SqsFifoPartialProcessorAsync();

type Tally = Record<'delivered' | 'retried' | 'deadLettered' | 'noCallback' | 'unchanged' | 'failed', number>;

async function deliverRecord(record: SQSRecord, backoff: GroupBackoff, tally: Tally): Promise<void> {
  let event: TopicEvent;
  try {
    event = parseStatusEventBody(record.body);
  } catch (err) {
    tally.failed++;
    logger.error(LogEvent.RECORD_FAILED, { sqsMessageId: record.messageId, problem: (err as Error).message });
    throw err;
  }
  const result = await deliverStatusEvent(event, record, backoff, ports);
  if (result.outcome === 'no-callback') {
    tally.noCallback++;
    return;
  }
  if (result.outcome === 'unchanged') {
    tally.unchanged++;
    return;
  }
  if (result.outcome === 'secret-unreadable') {
    tally.failed++;
    logger.error(LogEvent.UNEXPECTED_ERROR, { eventId: event.eventId, operation: 'GetSecretValue', error: result.error.name, problem: result.error.message });
    throw result.error;
  }
  // Ids and status only: never the body (it carries the client's reference) nor the URL's path and query.
  const subject = eventSubject(event);
  const about = { eventId: event.eventId, ...subject, tenantId: event.tenantId, host: result.host, attempt: result.attempt };
  if (result.outcome === 'delivered') {
    tally.delivered++;
    logger.debug(WebhookLogEvent.WEBHOOK_DELIVERED, { ...about, httpStatus: result.httpStatus });
  } else if (result.outcome === 'dead-lettered') {
    tally.deadLettered++;
    logger.error(WebhookLogEvent.WEBHOOK_DEAD_LETTERED, { ...about, reason: result.reason });
  } else {
    tally.retried++;
    if (result.visibilityError) logger.warn(LogEvent.UNEXPECTED_ERROR, { ...about, operation: 'ChangeMessageVisibility', error: result.visibilityError.name });
    logger.warn(WebhookLogEvent.WEBHOOK_RETRY, { ...about, reason: result.reason, delaySeconds: result.delaySeconds });
    throw new WebhookRetryError(result.reason);
  }
}

// A batch in which every delivery failed is routine here (one receiver down), not
// a function error: report the records instead of throwing, so Lambda's Errors
// metric keeps meaning "the function is broken".
export const handler = async (event: SQSEvent, context: Context) => {
  const backoff = new GroupBackoff();
  const tally: Tally = { delivered: 0, retried: 0, deadLettered: 0, noCallback: 0, unchanged: 0, failed: 0 };
  const response = await processPartialResponse(event, (record: SQSRecord) => deliverRecord(record, backoff, tally), processor, { context, skipGroupOnError: true, throwOnFullBatchFailure: false });
  // Records held back behind a failed one of their message (skipGroupOnError) are in the failures, not in the tally.
  logger.info(LogEvent.WEBHOOK_BATCH, { records: event.Records.length, ...tally, notDelivered: response.batchItemFailures.length });
  await backoff.applyToFailed(event.Records, response, queue, (err) => logger.warn(LogEvent.UNEXPECTED_ERROR, { operation: 'ChangeMessageVisibility', error: (err as Error).name }));
  return response;
};
