/**
 * Which table changes become ingest-queue messages. Pure: takes the stream
 * record's event name and images.
 * - INSERT of a message record (ACCEPTED): attempt 1.
 * - REMOVE of a retry timer — deleted by TTL at its due time or by the sweeper:
 *   the attempt the timer was set for. Every removal counts, so the sweeper's
 *   delete and a TTL delete both lead here; the FIFO ingest queue drops the
 *   duplicate (same deduplication id) and the router's claim guards the rest.
 */
import { IngestEnvelope } from './envelopes';

export function planOutbox(
  eventName: string | undefined,
  oldImage: Record<string, unknown> | undefined,
  newImage: Record<string, unknown> | undefined,
): IngestEnvelope | undefined {
  if (eventName === 'INSERT' && newImage?.kind === 'message' && newImage.status === 'ACCEPTED') {
    return ingestEnvelope({ ...newImage, messageId: newImage.id }, 1);
  }
  if (eventName === 'REMOVE' && oldImage?.kind === 'retry-timer') return ingestEnvelope(oldImage, oldImage.nextAttempt);
  return undefined;
}

/**
 * The ingest envelope of attempt `attempt` of a message, from anything that carries its routing
 * fields: a message image (with messageId), a retry timer, a message record read by the sweeper.
 */
export function ingestEnvelope(source: Record<string, unknown>, attempt: unknown): IngestEnvelope {
  return IngestEnvelope.parse({
    v: 1,
    messageId: source.messageId,
    tenantId: source.tenantId,
    attempt,
    to: source.to,
    ...(source.country !== undefined ? { country: source.country } : {}),
    ...(source.from !== undefined ? { from: source.from } : {}),
    type: source.type,
    validUntil: source.validUntil,
  });
}
