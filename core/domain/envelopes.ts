/**
 * Queue envelopes: versioned, validated at every consumer. And the fields
 * routing needs, which the ingest envelope, the retry timer and the message
 * record all carry: one schema, and one function that takes them from any of those.
 */
import * as z from 'zod/mini';

const NonEmpty = z.string().check(z.minLength(1));

/** What routing needs of a message, and what every attempt carries to be routed afresh. */
export const RoutingFields = z.object({
  tenantId: NonEmpty,
  /** E.164 destination with "+". */
  to: z.string().check(z.minLength(2)),
  /** ISO 3166-1 alpha-2 country of the destination, when known. */
  country: z.optional(z.string()),
  from: z.optional(z.string()),
  type: z.enum(['transactional', 'promotional']),
  /** After this the message is not attempted any more. */
  validUntil: z.iso.datetime(),
});
export type RoutingFields = z.infer<typeof RoutingFields>;

export type MessageType = RoutingFields['type'];

/** Anything that may carry the routing fields (a record, an image, a timer, an envelope). */
type RoutingSource = { readonly [K in keyof RoutingFields]?: unknown };

/** The routing fields of anything that carries them, unvalidated (the schema that takes them validates). */
function pickRoutingFields(source: RoutingSource): Record<string, unknown> {
  const { tenantId, to, country, from, type, validUntil } = source;
  return { tenantId, to, ...(country !== undefined ? { country } : {}), ...(from !== undefined ? { from } : {}), type, validUntil };
}

/**
 * The routing fields of anything that carries them — a message record or its
 * stream image, a retry timer, an envelope — validated, and nothing else of it.
 */
export function routingFieldsOf(source: RoutingSource): RoutingFields {
  return RoutingFields.parse(pickRoutingFields(source));
}

/** Ingest queue: a message to route (attempt n). */
export const IngestEnvelope = z.extend(RoutingFields, {
  v: z.literal(1),
  messageId: NonEmpty,
  /** The attempt this routing starts (1 for the first). */
  attempt: z.int().check(z.gte(1)),
});
export type IngestEnvelope = z.infer<typeof IngestEnvelope>;

/**
 * The ingest envelope of attempt `attempt` of a message, from anything that carries its routing
 * fields: a message image (with messageId), a retry timer, a message record read by the sweeper.
 */
export function ingestEnvelope(source: RoutingSource & { readonly messageId?: unknown }, attempt: unknown): IngestEnvelope {
  return IngestEnvelope.parse({ v: 1, messageId: source.messageId, attempt, ...pickRoutingFields(source) });
}

/** Carrier queue: a routed message for the SMPP worker. */
export const CarrierEnvelope = z.object({
  v: z.literal(1),
  messageId: NonEmpty,
  tenantId: NonEmpty,
  attempt: z.int().check(z.gte(1)),
  carrierId: NonEmpty,
  to: z.string().check(z.minLength(2)),
  from: z.optional(z.string()),
  text: NonEmpty,
  encoding: z.enum(['GSM7', 'UCS2']),
  segments: z.int().check(z.gte(1)),
  validUntil: z.iso.datetime(),
});
export type CarrierEnvelope = z.infer<typeof CarrierEnvelope>;

/** What a carrier envelope is made of: a message record, or its stream image. */
type CarrierSource = { readonly [K in 'id' | 'tenantId' | 'to' | 'from' | 'text' | 'encoding' | 'segments' | 'validUntil']?: unknown };

/**
 * The carrier envelope of attempt `attempt` of a message, for `carrierId`, validated: one rule
 * for the router (a record it has just claimed, or re-sends) and the outbox (the stream image
 * of a message the API stored ROUTED). The FIFO queue's deduplication id is `<messageId>#<attempt>`
 * in both (core/aws/queues.ts), so the two paths and their redeliveries enqueue an attempt once.
 *
 * @example carrierEnvelope(claim.record, 'sim-a', 1) // → { v: 1, messageId, attempt: 1, carrierId: 'sim-a', to, text, … }
 */
export function carrierEnvelope(source: CarrierSource, carrierId: unknown, attempt: unknown): CarrierEnvelope {
  const { id, tenantId, to, from, text, encoding, segments, validUntil } = source;
  // SUBMITTED removes the text (unless retainText), and a submitted message is never routed again.
  if (text === undefined) throw new Error(`message ${String(id)} has no text to submit (it was removed when the message was submitted)`);
  return CarrierEnvelope.parse({ v: 1, messageId: id, tenantId, attempt, carrierId, to, ...(from !== undefined ? { from } : {}), text, encoding, segments, validUntil });
}
