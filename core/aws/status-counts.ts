/**
 * The outbox's last step: adds the status changes of the stream records it handled to the
 * tenants' day items (GET /v1/usage?groupBy=status), one UpdateItem per tenant and day.
 * Only records before the first failed one are counted: the stream delivers every record from
 * the first failure on again, and the retry counts them then. A failed write gives back the
 * groups written before it and fails the records, so the retry counts them once.
 */
import { groupStatusCounts, statusCountsOf, type UsageFigures } from '../domain/usage';
import type { MessageStatus } from '../domain/message';

export interface StatusCountWriter {
  addStatuses(tenantId: string, day: string, byStatus: ReadonlyMap<MessageStatus, UsageFigures>): Promise<void>;
}

export interface StreamChange {
  eventName: string | undefined;
  oldImage: Record<string, unknown> | undefined;
  newImage: Record<string, unknown> | undefined;
}

/** Counts the changes; false when a write failed (the written groups were given back, best effort). */
export async function addStatusCounts(writer: StatusCountWriter, changes: readonly StreamChange[]): Promise<boolean> {
  const groups = groupStatusCounts(changes.flatMap((c) => statusCountsOf(c.eventName, c.oldImage, c.newImage)));
  const written: typeof groups = [];
  for (const g of groups) {
    try {
      await writer.addStatuses(g.tenantId, g.day, g.byStatus);
      written.push(g);
    } catch {
      for (const w of written) {
        const negated = new Map([...w.byStatus].map(([s, f]) => [s, { messages: -f.messages, segments: -f.segments, spendMicros: -f.spendMicros }]));
        await writer.addStatuses(w.tenantId, w.day, negated).catch(() => undefined);
      }
      return false;
    }
  }
  return true;
}
