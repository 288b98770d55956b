/**
 * The status event (schema v1): published once per status transition of a
 * message, and the body a status webhook receives. Pure: `statusEventsFromChange`
 * turns the table stream's old and new images of a message record into events,
 * one per history entry the change appended.
 *
 * `eventId` is `<messageId>:<index of the history entry>`, so a stream record
 * that is processed twice yields the same ids and a receiver can drop duplicates.
 */
import * as z from 'zod/mini';
import { CALLBACK_FORMATS, STATUSES } from './message';

const NonEmpty = z.string().check(z.minLength(1));
const Status = z.enum(STATUSES);

export const StatusEvent = z.object({
  version: z.literal(1),
  type: z.literal('message.status'),
  /** `<messageId>:<seq>`, seq = index of the transition in the message's history. */
  eventId: NonEmpty,
  messageId: NonEmpty,
  tenantId: NonEmpty,
  reference: z.optional(z.string()),
  status: Status,
  previousStatus: z.optional(Status),
  reason: z.optional(z.string()),
  carrierId: z.optional(z.string()),
  segments: z.int().check(z.gte(1)),
  /** Delivery attempt the transition belongs to (0 before the first attempt). */
  attempt: z.int().check(z.gte(0)),
  occurredAt: z.iso.datetime(),
  createdAt: z.iso.datetime(),
  callbackUrl: z.optional(z.string()),
  /** Only for a message sent through the Twilio-compatible API: its callback is Twilio's form, which names To and From. */
  callbackFormat: z.optional(z.enum(CALLBACK_FORMATS)),
  to: z.optional(z.string()),
  from: z.optional(z.string()),
});
export type StatusEvent = z.infer<typeof StatusEvent>;

const HistoryEntry = z.object({
  status: Status,
  at: z.iso.datetime(),
  reason: z.optional(z.string()),
  carrierId: z.optional(z.string()),
  attempt: z.optional(z.int()),
});

/** The part of a stored message record (core/domain/message.ts) an event is made of. */
const MessageImage = z.object({
  kind: z.literal('message'),
  id: NonEmpty,
  tenantId: NonEmpty,
  reference: z.optional(z.string()),
  callbackUrl: z.optional(z.string()),
  callbackFormat: z.optional(z.enum(CALLBACK_FORMATS)),
  to: z.optional(z.string()),
  from: z.optional(z.string()),
  segments: z.int().check(z.gte(1)),
  attempt: z.int().check(z.gte(0)),
  carrierId: z.optional(z.string()),
  createdAt: z.iso.datetime(),
  history: z.array(HistoryEntry),
});

/**
 * The status events of one table change, in order: one per history entry
 * appended between `oldImage` and `newImage` (all entries for an INSERT, whose
 * old image is undefined). Items that are not message records, and removals,
 * yield none. A message record that does not have the expected shape throws, so
 * the stream consumer fails that record instead of publishing a wrong event.
 *
 * @example
 *   statusEventsFromChange(unmarshall(r.dynamodb.OldImage), unmarshall(r.dynamodb.NewImage))
 *   // → [{ version: 1, type: 'message.status', eventId: 'm1:1', status: 'ROUTED', previousStatus: 'ACCEPTED', … }]
 */
export function statusEventsFromChange(
  oldImage: Record<string, unknown> | undefined,
  newImage: Record<string, unknown> | undefined,
): StatusEvent[] {
  if (!newImage || newImage.kind !== 'message') return [];
  const record = MessageImage.parse(newImage);
  const from = oldImage?.kind === 'message' && Array.isArray(oldImage.history) ? oldImage.history.length : 0;
  const events: StatusEvent[] = [];
  // Entries carry attempt and carrierId only on the transitions that change
  // them (ROUTED), so both are carried forward from earlier entries; the last
  // entry falls back to the record itself, which holds the current values.
  let attempt = 0;
  let carrierId: string | undefined;
  record.history.forEach((entry, seq) => {
    const last = seq === record.history.length - 1;
    attempt = entry.attempt ?? (last ? Math.max(attempt, record.attempt) : attempt);
    carrierId = entry.carrierId ?? carrierId ?? (last ? record.carrierId : undefined);
    if (seq < from) return;
    const previousStatus = record.history[seq - 1]?.status;
    events.push({
      version: 1,
      type: 'message.status',
      eventId: `${record.id}:${seq}`,
      messageId: record.id,
      tenantId: record.tenantId,
      ...(record.reference !== undefined ? { reference: record.reference } : {}),
      status: entry.status,
      ...(previousStatus !== undefined ? { previousStatus } : {}),
      ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
      ...(carrierId !== undefined ? { carrierId } : {}),
      segments: record.segments,
      attempt,
      occurredAt: entry.at,
      createdAt: record.createdAt,
      ...(record.callbackUrl !== undefined ? { callbackUrl: record.callbackUrl } : {}),
      // The numbers travel only where the callback's form needs them (Twilio's names To and From).
      ...(record.callbackFormat === 'twilio' ? { callbackFormat: record.callbackFormat, ...(record.to !== undefined ? { to: record.to } : {}), ...(record.from !== undefined ? { from: record.from } : {}) } : {}),
    });
  });
  return events;
}

/**
 * Which status events the outbox publishes (config `statusEvents.publish`): `callbacks`, those of
 * messages with a callback URL (the message's or its tenant's default), the only events the
 * webhook subscription passes; `all`, every one, for other subscribers of the topic too
 * (StatusTopicArn: your own consumers, `smsgw tail`).
 */
export type StatusEventsPublish = 'callbacks' | 'all';

/** Whether someone asked to be told about the event: a callback URL on the message or its tenant. */
export function hasCallback(event: Pick<StatusEvent, 'callbackUrl' | 'tenantId'>, tenantsWithCallback: ReadonlySet<string>): boolean {
  return Boolean(event.callbackUrl) || tenantsWithCallback.has(event.tenantId);
}

/** Whether the outbox publishes the event: every one with `all`, else only those a webhook is waiting for. */
export function isPublished(event: Pick<StatusEvent, 'callbackUrl' | 'tenantId'>, publish: StatusEventsPublish, tenantsWithCallback: ReadonlySet<string>): boolean {
  return publish === 'all' || hasCallback(event, tenantsWithCallback);
}
