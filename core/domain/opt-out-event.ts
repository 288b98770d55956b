/**
 * The opt-out event (schema v1): published once per change of an opt-out's state, and the body
 * the tenant's webhook (tenants[].callbackUrl) receives, signed like status events. Pure:
 * `optOutEventsFromChange` turns the table stream's images of an opt-out item
 * (core/aws/opt-out-store.ts) into its event:
 * - INSERT, or MODIFY from removed, into opted-out: `opt_out.created`;
 * - MODIFY from opted-out into removed: `opt_out.deleted`.
 * Any other change (none today) yields none. The store writes only changes of state, so each
 * opt-out and each removal is one stream record and one event.
 *
 * `eventId` is derived from the item and the time of the change, so a stream record processed
 * twice yields the same id and a receiver (and the FIFO topic) drops the duplicate.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { ItemKind, KeyPrefix } from '../aws/table-keys';
import type { InboundWebhookEvent } from './inbound-event';
import type { StatusEvent } from './status-event';

const NonEmpty = z.string().check(z.minLength(1));

export const OPT_OUT_EVENT_TYPES = ['opt_out.created', 'opt_out.deleted'] as const;

export const OptOutEvent = z.object({
  version: z.literal(1),
  type: z.enum(OPT_OUT_EVENT_TYPES),
  /** `opt-out:` and 32 hex digits of the tenant, number, sender, type and time of the change. */
  eventId: NonEmpty,
  tenantId: NonEmpty,
  number: NonEmpty,
  /** Only with `optOut.scope: sender`, for an opt-out of one sender. */
  sender: z.optional(z.string()),
  source: z.enum(['keyword', 'api']),
  keyword: z.optional(z.string()),
  optedOutAt: z.iso.datetime(),
  /** opt_out.deleted only. */
  removedAt: z.optional(z.iso.datetime()),
  /** optedOutAt for opt_out.created, removedAt for opt_out.deleted. */
  occurredAt: z.iso.datetime(),
});
export type OptOutEvent = z.infer<typeof OptOutEvent>;

/** What the status topic carries, and the webhook queue delivers. */
export type TopicEvent = StatusEvent | OptOutEvent | InboundWebhookEvent;

export function isOptOutEvent(event: TopicEvent): event is OptOutEvent {
  return event.type.startsWith('opt_out.');
}

export function isInboundWebhookEvent(event: TopicEvent): event is InboundWebhookEvent {
  return event.type === 'message.inbound';
}

const OptOutImage = z.object({
  pk: NonEmpty,
  sk: NonEmpty,
  kind: z.literal(ItemKind.optOut),
  number: NonEmpty,
  sender: z.optional(z.string()),
  state: z.enum(['opted-out', 'removed']),
  optedOutAt: z.iso.datetime(),
  source: z.enum(['keyword', 'api']),
  keyword: z.optional(z.string()),
  removedAt: z.optional(z.iso.datetime()),
});

/**
 * The opt-out event of one table change, as a list (empty for anything else: other items, other
 * changes). An opt-out item that does not have the expected shape throws, so the stream consumer
 * fails that record instead of publishing a wrong event.
 */
export function optOutEventsFromChange(
  eventName: string | undefined,
  oldImage: Record<string, unknown> | undefined,
  newImage: Record<string, unknown> | undefined,
): OptOutEvent[] {
  if (newImage?.kind !== ItemKind.optOut || (eventName !== 'INSERT' && eventName !== 'MODIFY')) return [];
  const item = OptOutImage.parse(newImage);
  const before = eventName === 'INSERT' ? undefined : oldImage?.state;
  let type: OptOutEvent['type'];
  if (item.state === 'opted-out' && before !== 'opted-out') type = 'opt_out.created';
  else if (item.state === 'removed' && before === 'opted-out') type = 'opt_out.deleted';
  else return [];
  const occurredAt = type === 'opt_out.created' ? item.optedOutAt : item.removedAt;
  if (occurredAt === undefined) throw new Error(`opt-out ${item.pk} is removed without removedAt`);
  const tenantId = item.pk.slice(KeyPrefix.optOut.length);
  return [
    {
      version: 1,
      type,
      eventId: `opt-out:${createHash('sha256').update(`${item.pk}\n${item.sk}\n${type}\n${occurredAt}`).digest('hex').slice(0, 32)}`,
      tenantId,
      number: item.number,
      ...(item.sender !== undefined ? { sender: item.sender } : {}),
      source: item.source,
      ...(item.keyword !== undefined ? { keyword: item.keyword } : {}),
      optedOutAt: item.optedOutAt,
      ...(type === 'opt_out.deleted' ? { removedAt: occurredAt } : {}),
      occurredAt,
    },
  ];
}

/** What a log line says an event is about: ids and status only, never numbers or text. */
export function eventSubject(event: TopicEvent): Record<string, string> {
  if (isOptOutEvent(event)) return { type: event.type };
  if (isInboundWebhookEvent(event)) return { type: event.type, inboundId: event.inboundId };
  return { messageId: event.messageId, status: event.status };
}
