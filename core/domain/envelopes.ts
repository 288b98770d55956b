/**
 * Queue envelopes: versioned, validated at every consumer.
 */
import * as z from 'zod/mini';

/** Ingest queue: a message to route (attempt n). */
export const IngestEnvelope = z.object({
  v: z.literal(1),
  messageId: z.string().check(z.minLength(1)),
  tenantId: z.string().check(z.minLength(1)),
  /** The attempt this routing starts (1 for the first). */
  attempt: z.int().check(z.gte(1)),
  to: z.string().check(z.minLength(2)),
  country: z.optional(z.string()),
  from: z.optional(z.string()),
  type: z.enum(['transactional', 'promotional']),
  /** After this the message is not attempted any more. */
  validUntil: z.iso.datetime(),
});
export type IngestEnvelope = z.infer<typeof IngestEnvelope>;

/** Carrier queue: a routed message for the SMPP worker. */
export const CarrierEnvelope = z.object({
  v: z.literal(1),
  messageId: z.string().check(z.minLength(1)),
  tenantId: z.string().check(z.minLength(1)),
  attempt: z.int().check(z.gte(1)),
  carrierId: z.string().check(z.minLength(1)),
  to: z.string().check(z.minLength(2)),
  from: z.optional(z.string()),
  text: z.string().check(z.minLength(1)),
  encoding: z.enum(['GSM7', 'UCS2']),
  segments: z.int().check(z.gte(1)),
  validUntil: z.iso.datetime(),
});
export type CarrierEnvelope = z.infer<typeof CarrierEnvelope>;
