/**
 * Structured JSON logs (Powertools Logger) with a small, stable set of event
 * names shared by code, log queries and alarms. Never pass message text; pass
 * numbers through maskNumber.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const LogEvent = {
  MESSAGE_ACCEPTED: 'MESSAGE_ACCEPTED',
  MESSAGE_REPLAYED: 'MESSAGE_REPLAYED',
  MESSAGE_CANCELED: 'MESSAGE_CANCELED',
  /** An opt-out added or removed through the API (the number masked, like every `to`). */
  OPT_OUT_CREATED: 'OPT_OUT_CREATED',
  OPT_OUT_DELETED: 'OPT_OUT_DELETED',
  REQUEST_REJECTED: 'REQUEST_REJECTED',
  /** A message refused over a tenant's SMS-pumping limit (warn; the number masked). */
  SUSPECTED_PUMPING: 'SUSPECTED_PUMPING',
  MESSAGE_ENQUEUED: 'MESSAGE_ENQUEUED',
  STATUS_PUBLISHED: 'STATUS_PUBLISHED',
  INBOUND_PUBLISHED: 'INBOUND_PUBLISHED',
  /** Per-invocation summaries, the INFO lines of the stream and queue consumers and the api's batch path. */
  OUTBOX_BATCH: 'OUTBOX_BATCH',
  ROUTER_BATCH: 'ROUTER_BATCH',
  WEBHOOK_BATCH: 'WEBHOOK_BATCH',
  BATCH_ACCEPTED: 'BATCH_ACCEPTED',
  HEALTH_UNAVAILABLE: 'HEALTH_UNAVAILABLE',
  MESSAGE_ROUTED: 'MESSAGE_ROUTED',
  MESSAGE_REJECTED: 'MESSAGE_REJECTED',
  TRANSITION_SKIPPED: 'TRANSITION_SKIPPED',
  RECORD_FAILED: 'RECORD_FAILED',
  UNEXPECTED_ERROR: 'UNEXPECTED_ERROR',
} as const;
export type LogEvent = (typeof LogEvent)[keyof typeof LogEvent];

export function createLogger(serviceName: string): Logger {
  // Level from POWERTOOLS_LOG_LEVEL (default INFO), read by Powertools itself.
  return new Logger({ serviceName });
}
