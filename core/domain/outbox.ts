/**
 * Which table changes become queue messages. Pure: takes the stream record's
 * event name and images.
 * - INSERT of a message record the API stored ROUTED (the routing table routed its
 *   first attempt at acceptance): the carrier envelope of that attempt, for the
 *   carrier's queue. The same envelope the router sends (`carrierEnvelope`), with
 *   the same deduplication id, so a redelivered stream record enqueues it once.
 * - INSERT of a message record stored ACCEPTED (no route at acceptance, or the
 *   API could not read carrier health): attempt 1, for the ingest queue and the router.
 * - REMOVE of a retry timer — deleted by TTL at its due time or by the sweeper:
 *   the attempt the timer was set for, for the ingest queue. Every removal counts,
 *   so the sweeper's delete and a TTL delete both lead here; the FIFO ingest queue
 *   drops the duplicate (same deduplication id) and the router's claim guards the rest.
 * - INSERT of a message record the API stored REJECTED (opted_out): nothing for any queue, only
 *   its status events (ACCEPTED, REJECTED).
 * - A change of state of an opt-out item: nothing for any queue, only its opt_out event for the
 *   status topic (core/domain/opt-out-event.ts).
 * - INSERT of an inbound message item: nothing for any queue; its message.inbound event for the
 *   status topic (the tenant's inboundUrl) and its InboundEvent for the inbound topic
 *   (core/domain/inbound-event.ts).
 */
import { ItemKind } from '../aws/table-keys';
import { carrierEnvelope, ingestEnvelope, type CarrierEnvelope, type IngestEnvelope } from './envelopes';
import { inboundEventsFromChange, type InboundEvent } from './inbound-event';
import { isInboundWebhookEvent, optOutEventsFromChange, type TopicEvent } from './opt-out-event';
import { isPublished, statusEventsFromChange, type StatusEventsPublish } from './status-event';

/** A queue message the outbox sends for one table change. */
export type OutboxSend = { queue: 'ingest'; envelope: IngestEnvelope } | { queue: 'carrier'; envelope: CarrierEnvelope };

export function planOutbox(
  eventName: string | undefined,
  oldImage: Record<string, unknown> | undefined,
  newImage: Record<string, unknown> | undefined,
): OutboxSend | undefined {
  if (eventName === 'INSERT' && newImage?.kind === ItemKind.message) {
    if (newImage.status === 'ACCEPTED') return { queue: 'ingest', envelope: ingestEnvelope({ ...newImage, messageId: newImage.id }, 1) };
    if (newImage.status === 'ROUTED') return { queue: 'carrier', envelope: carrierEnvelope(newImage, newImage.carrierId, newImage.attempt) };
    return undefined;
  }
  if (eventName === 'REMOVE' && oldImage?.kind === ItemKind.retryTimer) return { queue: 'ingest', envelope: ingestEnvelope(oldImage, oldImage.nextAttempt) };
  return undefined;
}

/** One thing the outbox sends for a table change: its queue message, one of its status-topic events, or its inbound-topic event. */
export type OutboxEntry = { kind: 'send'; send: OutboxSend } | { kind: 'publish'; event: TopicEvent } | { kind: 'inbound'; event: InboundEvent };

/** Which status events are published: the config's choice, and the tenants with a default callback URL (or an inboundUrl). */
export interface StatusEventAudience {
  publish: StatusEventsPublish;
  tenantsWithCallback: ReadonlySet<string>;
  /** Tenants with an inboundUrl: with publish `callbacks`, only their message.inbound events are published. */
  tenantsWithInboundUrl?: ReadonlySet<string>;
}

/**
 * Everything one table change sends, in order: its queue message first (so a ROUTED event means
 * the message is on its carrier's queue), then its status events, one per appended history
 * entry, those the audience wants. Throws on a malformed message record, so that record fails
 * instead of sending something wrong.
 */
export function planChange(
  eventName: string | undefined,
  oldImage: Record<string, unknown> | undefined,
  newImage: Record<string, unknown> | undefined,
  audience: StatusEventAudience,
): { entries: OutboxEntry[]; unpublished: number } {
  const send = planOutbox(eventName, oldImage, newImage);
  const inbound = inboundEventsFromChange(eventName, newImage);
  const events: TopicEvent[] = [...statusEventsFromChange(oldImage, newImage), ...optOutEventsFromChange(eventName, oldImage, newImage), ...inbound.webhook];
  const published = events.filter((e) =>
    isInboundWebhookEvent(e) ? audience.publish === 'all' || (audience.tenantsWithInboundUrl?.has(e.tenantId) ?? false) : isPublished(e, audience.publish, audience.tenantsWithCallback),
  );
  return {
    entries: [
      ...(send ? [{ kind: 'send' as const, send }] : []),
      ...published.map((event) => ({ kind: 'publish' as const, event })),
      ...inbound.topic.map((event) => ({ kind: 'inbound' as const, event })),
    ],
    unpublished: events.length - published.length,
  };
}
