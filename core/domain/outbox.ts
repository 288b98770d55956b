/**
 * Which table changes become ingest-queue messages. Pure: takes the stream
 * record's event name and images.
 * - INSERT of a message record (ACCEPTED): attempt 1.
 * - REMOVE of a retry timer — deleted by TTL at its due time or by the sweeper:
 *   the attempt the timer was set for. Every removal counts, so the sweeper's
 *   delete and a TTL delete both lead here; the FIFO ingest queue drops the
 *   duplicate (same deduplication id) and the router's claim guards the rest.
 */
import { ItemKind } from '../aws/table-keys';
import { ingestEnvelope, type IngestEnvelope } from './envelopes';

export function planOutbox(
  eventName: string | undefined,
  oldImage: Record<string, unknown> | undefined,
  newImage: Record<string, unknown> | undefined,
): IngestEnvelope | undefined {
  if (eventName === 'INSERT' && newImage?.kind === ItemKind.message && newImage.status === 'ACCEPTED') {
    return ingestEnvelope({ ...newImage, messageId: newImage.id }, 1);
  }
  if (eventName === 'REMOVE' && oldImage?.kind === ItemKind.retryTimer) return ingestEnvelope(oldImage, oldImage.nextAttempt);
  return undefined;
}
