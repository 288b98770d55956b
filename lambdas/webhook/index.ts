/**
 * Status webhooks: webhook queue (subscribed to the status topic with raw
 * message delivery, so each body is a StatusEvent) → signed POST to the
 * message's callbackUrl, or its tenant's default.
 *
 * One receive is one attempt. A retryable failure sets the record's visibility
 * to the backoff delay and fails the record, so SQS hands it back after the
 * delay with ApproximateReceiveCount + 1. A failure that is not retryable, or
 * the last attempt, is sent to the DLQ by this function (with the reason) and
 * the record is then reported as done — waiting for the redrive policy would
 * keep a dead event cycling for hours. A record that is not a valid event fails
 * every time and reaches the DLQ through the redrive policy.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { runtimeConfig } from '../../core/config/runtime';
import { StatusEvent } from '../../core/domain/status-event';
import { nextStepAfterFailure, signingSecretsFrom } from '../../core/domain/webhook';
import { createLogger, LogEvent } from '../../core/util/logger';
import { deliverWebhook, type DeliveryResult } from '../../core/webhook/dispatcher';

/** Lifecycle events of this function (log queries and alarms use these names). */
export const WebhookLogEvent = {
  WEBHOOK_DELIVERED: 'WEBHOOK_DELIVERED',
  WEBHOOK_RETRY: 'WEBHOOK_RETRY',
  WEBHOOK_DEAD_LETTERED: 'WEBHOOK_DEAD_LETTERED',
} as const;

const Flag = z.optional(z.enum(['0', '1']));
const WebhookEnv = z.object({
  /** Secrets Manager secret: JSON { "<tenantId>": "<secret>" } or one plain string for all tenants. */
  /** One secret: JSON {"<tenantId>": "<secret>"} or one string for every tenant. */
  WEBHOOK_SECRET_ARN: z.optional(z.string().check(z.minLength(1))),
  /** One secret per tenant (what the stack creates): JSON {"<tenantId>": "<secret ARN>"}, each secret a plain string. */
  WEBHOOK_SECRET_ARNS: z.optional(z.string().check(z.minLength(2))),
  /** Local deploys only: shrinks the retry schedule (e.g. 0.05), so tests need not wait minutes. */
  WEBHOOK_RETRY_SCALE: z.optional(z.string()),
  /** This function's source queue (for ChangeMessageVisibility). */
  WEBHOOK_QUEUE_URL: z.string().check(z.minLength(1)),
  WEBHOOK_DLQ_URL: z.string().check(z.minLength(1)),
  /** '1' only for local/emulator use: accept http: URLs. */
  WEBHOOK_ALLOW_HTTP: Flag,
  /** '1' only for local/emulator use: accept private and loopback hosts, skip the DNS check. */
  WEBHOOK_ALLOW_PRIVATE: Flag,
});

const logger = createLogger('webhook');
const env = WebhookEnv.parse(process.env);
const urlRules = { allowHttp: env.WEBHOOK_ALLOW_HTTP === '1', allowPrivate: env.WEBHOOK_ALLOW_PRIVATE === '1' };
const sqsClient = new SQSClient({});
const secretsClient = new SecretsManagerClient({});
// The queue is FIFO, one message group per message: events of a message are
// delivered in status order, and a failing one holds back the later ones of that
// message only (skipGroupOnError) while other messages go on.
const processor = new SqsFifoPartialProcessorAsync();

// The secret is read once per container and re-read after a while, so a
// rotated secret is picked up without a redeploy.
const SECRET_MAX_AGE_MS = 10 * 60_000;
const cache = new Map<string, { value: Promise<(tenantId: string) => string | undefined>; readAt: number }>();
let perTenantArns: Record<string, string> | undefined;

function readSecret(arn: string): Promise<(tenantId: string) => string | undefined> {
  const cached = cache.get(arn);
  if (cached && Date.now() - cached.readAt <= SECRET_MAX_AGE_MS) return cached.value;
  const value = secretsClient.send(new GetSecretValueCommand({ SecretId: arn })).then((out) => {
    if (out.SecretString === undefined) throw new Error('webhook signing secret has no SecretString');
    return signingSecretsFrom(out.SecretString);
  });
  const entry = { value, readAt: Date.now() };
  cache.set(arn, entry);
  // A failed read is not cached: the next record tries again.
  value.catch(() => {
    if (cache.get(arn) === entry) cache.delete(arn);
  });
  return value;
}

/** The tenant's signing secret: its own secret when the stack made one, else the shared one. */
async function signingSecret(tenantId: string): Promise<string | undefined> {
  perTenantArns ??= env.WEBHOOK_SECRET_ARNS ? z.record(z.string(), z.string()).parse(JSON.parse(env.WEBHOOK_SECRET_ARNS)) : {};
  const own = perTenantArns[tenantId];
  // A tenant's own secret is a plain string: signingSecretsFrom gives it for every id.
  if (own) return (await readSecret(own))(tenantId);
  if (env.WEBHOOK_SECRET_ARN) return (await readSecret(env.WEBHOOK_SECRET_ARN))(tenantId);
  return undefined;
}

export class InvalidStatusEventError extends Error {
  constructor(readonly problem: string) {
    super(`not a status event: ${problem}`);
    this.name = 'InvalidStatusEventError';
  }
}

export class WebhookRetryError extends Error {
  constructor(readonly reason: string) {
    super(`webhook delivery will be retried: ${reason}`);
    this.name = 'WebhookRetryError';
  }
}

function parseEvent(body: string): StatusEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidStatusEventError('body is not JSON');
  }
  const parsed = StatusEvent.safeParse(json);
  if (!parsed.success) throw new InvalidStatusEventError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  return parsed.data;
}

/** The tenant's default callback URL (runtimeConfig() is parsed once and cached). */
function tenantCallbackUrl(tenantId: string): string | undefined {
  return runtimeConfig().tenants.find((t) => t.id === tenantId)?.callbackUrl;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

async function deliverRecord(record: SQSRecord): Promise<void> {
  let event: StatusEvent;
  try {
    event = parseEvent(record.body);
  } catch (err) {
    logger.error(LogEvent.RECORD_FAILED, { sqsMessageId: record.messageId, problem: (err as Error).message });
    throw err;
  }
  const url = event.callbackUrl ?? tenantCallbackUrl(event.tenantId);
  if (!url) return; // nobody to tell

  const attempt = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
  let secret: string | undefined;
  try {
    secret = await signingSecret(event.tenantId);
  } catch (err) {
    // Fails the record without a backoff: SQS returns it after the queue's visibility timeout.
    logger.error(LogEvent.UNEXPECTED_ERROR, { eventId: event.eventId, operation: 'GetSecretValue', error: (err as Error).name, problem: (err as Error).message });
    throw err;
  }
  const result: DeliveryResult =
    secret === undefined
      ? { ok: false, retryable: true, reason: `no signing secret for tenant ${event.tenantId}` } // fixable by adding it: retry
      : await deliverWebhook(event, { url, secret }, urlRules);
  // Ids and status only: never the body (it carries the client's reference) nor the URL's path and query.
  const about = { eventId: event.eventId, messageId: event.messageId, tenantId: event.tenantId, status: event.status, host: hostOf(url), attempt };

  if (result.ok) {
    logger.info(WebhookLogEvent.WEBHOOK_DELIVERED, { ...about, httpStatus: result.status });
    return;
  }
  const step = nextStepAfterFailure(result, attempt);
  if (step.action === 'retry') {
    const scale = env.WEBHOOK_RETRY_SCALE ? Number(env.WEBHOOK_RETRY_SCALE) : 1;
    const delaySeconds = Math.max(1, Math.round(step.delaySeconds * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
    const group = record.attributes.MessageGroupId;
    if (group) groupDelays.set(group, delaySeconds);
    try {
      await sqsClient.send(new ChangeMessageVisibilityCommand({ QueueUrl: env.WEBHOOK_QUEUE_URL, ReceiptHandle: record.receiptHandle, VisibilityTimeout: delaySeconds }));
    } catch (err) {
      // Still retried, after the queue's own visibility timeout instead of the backoff.
      logger.warn(LogEvent.UNEXPECTED_ERROR, { ...about, operation: 'ChangeMessageVisibility', error: (err as Error).name });
    }
    logger.warn(WebhookLogEvent.WEBHOOK_RETRY, { ...about, reason: result.reason, delaySeconds });
    throw new WebhookRetryError(result.reason);
  }
  await sqsClient.send(
    new SendMessageCommand({
      QueueUrl: env.WEBHOOK_DLQ_URL,
      MessageBody: record.body,
      MessageAttributes: {
        failureReason: { DataType: 'String', StringValue: step.reason.slice(0, 1024) },
        eventId: { DataType: 'String', StringValue: event.eventId },
        attempts: { DataType: 'Number', StringValue: String(attempt) },
      },
    }),
  );
  logger.error(WebhookLogEvent.WEBHOOK_DEAD_LETTERED, { ...about, reason: step.reason });
}

// A batch in which every delivery failed is routine here (one receiver down), not
// a function error: report the records instead of throwing, so Lambda's Errors
// metric keeps meaning "the function is broken".
/** Backoff chosen in this invocation per message group whose delivery failed. */
const groupDelays = new Map<string, number>();

export const handler = async (event: SQSEvent, context: Context) => {
  groupDelays.clear();
  const response = await processPartialResponse(event, deliverRecord, processor, { context, skipGroupOnError: true, throwOnFullBatchFailure: false });
  // Later events of a group whose delivery failed were skipped, not tried: they come back with the
  // failed one's backoff rather than after the queue's whole visibility timeout, still in order.
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  await Promise.all(
    event.Records.filter((r) => failed.has(r.messageId) && r.attributes.MessageGroupId && groupDelays.has(r.attributes.MessageGroupId)).map((r) =>
      sqsClient
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: env.WEBHOOK_QUEUE_URL, ReceiptHandle: r.receiptHandle, VisibilityTimeout: groupDelays.get(r.attributes.MessageGroupId!)! }))
        .catch((err: unknown) => logger.warn(LogEvent.UNEXPECTED_ERROR, { operation: 'ChangeMessageVisibility', error: (err as Error).name })),
    ),
  );
  return response;
};
