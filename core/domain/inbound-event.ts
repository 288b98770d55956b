/**
 * The events of a recorded inbound message (core/aws/inbound-store.ts), made by the outbox from
 * the table stream's INSERT of its item, the one trigger, so each is published once per message:
 * - the `message.inbound` event (schema v1), the body the tenant's `inboundUrl` receives, signed
 *   like status events, through the status topic and the webhook queue; only for a message a
 *   tenant owns. `eventId` is `inbound:<inbound id>`: a stream record processed twice yields the
 *   same id, and the FIFO topic (and a receiver) drops the duplicate.
 * - the InboundEvent on the inbound topic (schema v1, `type: inbound`), for every message, owned
 *   or not, as the worker published it before: the topic's own subscribers.
 * Pure. An inbound item without the expected shape throws, so that stream record fails instead
 * of publishing something wrong.
 */
import * as z from 'zod/mini';
import type { InboundMessage } from '../aws/inbound-store';
import { ItemKind } from '../aws/table-keys';

const NonEmpty = z.string().check(z.minLength(1));

/** An inbound message as the API shows it and the events carry it. */
const InboundFields = {
  carrierId: NonEmpty,
  from: NonEmpty,
  to: NonEmpty,
  text: z.string(),
  parts: z.int().check(z.gte(1)),
  receivedAt: z.iso.datetime(),
};

export const InboundWebhookEvent = z.object({
  version: z.literal(1),
  type: z.literal('message.inbound'),
  /** `inbound:<inbound id>`. */
  eventId: NonEmpty,
  tenantId: NonEmpty,
  /** The id GET /v1/inbound/{id} reads it by. */
  inboundId: NonEmpty,
  ...InboundFields,
  /** When the gateway received the message (its last part): receivedAt. */
  occurredAt: z.iso.datetime(),
});
export type InboundWebhookEvent = z.infer<typeof InboundWebhookEvent>;

/** The event on the inbound topic: `tenantId` when a tenant owns `to`. */
export type InboundEvent = { version: 1; type: 'inbound'; tenantId?: string } & InboundMessage;

const InboundImage = z.object({ kind: z.literal(ItemKind.inboundMessage), id: NonEmpty, tenantId: z.optional(NonEmpty), ...InboundFields });

/** The events of one table change: none for anything but the INSERT of an inbound message item. */
export function inboundEventsFromChange(
  eventName: string | undefined,
  newImage: Record<string, unknown> | undefined,
): { webhook: InboundWebhookEvent[]; topic: InboundEvent[] } {
  if (eventName !== 'INSERT' || newImage?.kind !== ItemKind.inboundMessage) return { webhook: [], topic: [] };
  const item = InboundImage.parse(newImage);
  const message = { carrierId: item.carrierId, from: item.from, to: item.to, text: item.text, parts: item.parts, receivedAt: item.receivedAt };
  const topic: InboundEvent = { version: 1, type: 'inbound', ...(item.tenantId !== undefined ? { tenantId: item.tenantId } : {}), id: item.id, ...message };
  if (item.tenantId === undefined) return { webhook: [], topic: [topic] };
  const webhook: InboundWebhookEvent = { version: 1, type: 'message.inbound', eventId: `inbound:${item.id}`, tenantId: item.tenantId, inboundId: item.id, ...message, occurredAt: item.receivedAt };
  return { webhook: [webhook], topic: [topic] };
}
