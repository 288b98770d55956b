/**
 * One attempt at one status event (or opt-out event, or message.inbound event), as received from
 * the webhook queue: find the URL (the message's own callback URL, else its tenant's default; a
 * message.inbound event: the tenant's inboundUrl only), sign with
 * the tenant's secret, POST, and when that fails either hand the queue message
 * back after the backoff or dead-letter it with the reason. The caller logs the
 * outcome; nothing here logs.
 */
import type { SQSRecord } from 'aws-lambda';
import { isInboundWebhookEvent, type TopicEvent } from '../domain/opt-out-event';
import type { StatusEvent } from '../domain/status-event';
import { changesTwilioStatus } from '../twilio/callback';
import { nextStepAfterFailure } from '../domain/webhook';
import type { DeliveryResult } from './dispatcher';
import type { GroupBackoff } from './group-backoff';
import type { WebhookQueue } from './webhook-queue';

export interface WebhookPorts {
  /** The tenant's default callback URL, when it has one. */
  tenantCallbackUrl(tenantId: string): string | undefined;
  /** Where the tenant's message.inbound events go, when it has an inboundUrl. */
  tenantInboundUrl(tenantId: string): string | undefined;
  /** Rejects when the secret cannot be read. */
  signingSecret(tenantId: string): Promise<string | undefined>;
  /** The auth token of the tenant's Twilio account, which signs its Twilio-form callbacks; rejects when it cannot be read. */
  twilioAuthToken(tenantId: string): Promise<string | undefined>;
  /** Posts the event in its form (`secret`: the signing secret, or the Twilio auth token for a Twilio-form callback). */
  post(event: TopicEvent, target: { url: string; secret: string }): Promise<DeliveryResult>;
  queue: Pick<WebhookQueue, 'retryAfter' | 'deadLetter'>;
  /** Factor on every retry delay: 1 in AWS, smaller on a local stack. */
  retryScale: number;
}

/** Where the attempt went: the receiver's host only (a URL's path and query can carry its tokens), and which attempt it was. */
interface Attempted {
  host: string | undefined;
  attempt: number;
}

export type WebhookOutcome =
  | { outcome: 'no-callback' }
  /** A Twilio-form callback whose Twilio status is the one posted before (ACCEPTED → ROUTED: both queued): nothing to tell. */
  | { outcome: 'unchanged' }
  /** The record fails without a backoff: SQS returns it after the queue's visibility timeout. */
  | { outcome: 'secret-unreadable'; error: Error }
  | ({ outcome: 'delivered'; httpStatus: number } & Attempted)
  /** `visibilityError`: the backoff could not be set; the event is still retried, after the queue's visibility timeout. */
  | ({ outcome: 'retry'; reason: string; delaySeconds: number; visibilityError?: Error } & Attempted)
  | ({ outcome: 'dead-lettered'; reason: string } & Attempted);

/**
 * Delivers `event` (the parsed body of `record`). A retry's delay is also
 * remembered in `backoff`, for the records of the same group the batch skipped.
 *
 * @example
 *   const result = await deliverStatusEvent(event, record, backoff, ports);
 *   if (result.outcome === 'retry') throw new WebhookRetryError(result.reason); // fail the record
 */
export async function deliverStatusEvent(event: TopicEvent, record: SQSRecord, backoff: GroupBackoff, ports: WebhookPorts): Promise<WebhookOutcome> {
  // Opt-out events have no message and so no callback URL of their own: the tenant's default only.
  // Inbound messages go to the tenant's inboundUrl, never to a callback URL.
  const url = isInboundWebhookEvent(event) ? ports.tenantInboundUrl(event.tenantId) : (('callbackUrl' in event ? event.callbackUrl : undefined) ?? ports.tenantCallbackUrl(event.tenantId));
  if (!url) return { outcome: 'no-callback' }; // nobody to tell
  const twilioForm = isTwilioForm(event);
  if (twilioForm && !changesTwilioStatus(event)) return { outcome: 'unchanged' };

  const attempted: Attempted = { host: hostOf(url), attempt: Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1) };
  let secret: string | undefined;
  try {
    secret = await (twilioForm ? ports.twilioAuthToken(event.tenantId) : ports.signingSecret(event.tenantId));
  } catch (err) {
    return { outcome: 'secret-unreadable', error: err as Error };
  }
  const result: DeliveryResult =
    secret === undefined
      ? { ok: false, retryable: true, reason: `no ${twilioForm ? 'Twilio auth token' : 'signing secret'} for tenant ${event.tenantId}` } // fixable by adding it: retry
      : await ports.post(event, { url, secret });
  if (result.ok) return { outcome: 'delivered', httpStatus: result.status, ...attempted };

  const step = nextStepAfterFailure(result, attempted.attempt);
  if (step.action === 'retry') {
    const delaySeconds = Math.max(1, Math.round(step.delaySeconds * ports.retryScale));
    backoff.remember(record.attributes.MessageGroupId, delaySeconds);
    let visibilityError: Error | undefined;
    try {
      await ports.queue.retryAfter(record.receiptHandle, delaySeconds);
    } catch (err) {
      visibilityError = err as Error;
    }
    return { outcome: 'retry', reason: result.reason, delaySeconds, ...(visibilityError ? { visibilityError } : {}), ...attempted };
  }
  await ports.queue.deadLetter(record.body, { reason: step.reason, eventId: event.eventId, attempts: attempted.attempt });
  return { outcome: 'dead-lettered', reason: step.reason, ...attempted };
}

/** A status event of a message sent through the Twilio-compatible API with a StatusCallback. */
export function isTwilioForm(event: TopicEvent): event is StatusEvent & { callbackFormat: 'twilio' } {
  return 'callbackFormat' in event && event.callbackFormat === 'twilio';
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
