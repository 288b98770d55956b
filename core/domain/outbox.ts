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
    return IngestEnvelope.parse({
      v: 1,
      messageId: newImage.id,
      tenantId: newImage.tenantId,
      attempt: 1,
      to: newImage.to,
      ...(newImage.country !== undefined ? { country: newImage.country } : {}),
      ...(newImage.from !== undefined ? { from: newImage.from } : {}),
      type: newImage.type,
      validUntil: newImage.validUntil,
    });
  }
  if (eventName === 'REMOVE' && oldImage?.kind === 'retry-timer') return timerEnvelope(oldImage);
  return undefined;
}

/** The ingest envelope a retry timer stands for. */
export function timerEnvelope(timer: Record<string, unknown>): IngestEnvelope {
  return IngestEnvelope.parse({
    v: 1,
    messageId: timer.messageId,
    tenantId: timer.tenantId,
    attempt: timer.nextAttempt,
    to: timer.to,
    ...(timer.country !== undefined ? { country: timer.country } : {}),
    ...(timer.from !== undefined ? { from: timer.from } : {}),
    type: timer.type,
    validUntil: timer.validUntil,
  });
}
