/**
 * Which table changes become ingest-queue messages. Pure: takes the stream
 * record's event name and images.
 */
import { IngestEnvelope } from './envelopes';

export function planOutbox(
  eventName: string | undefined,
  _oldImage: Record<string, unknown> | undefined,
  newImage: Record<string, unknown> | undefined,
): IngestEnvelope | undefined {
  if (eventName !== 'INSERT' || !newImage || newImage.kind !== 'message' || newImage.status !== 'ACCEPTED') return undefined;
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
