/**
 * The outbox's last step: adds the stream records it handled to the tenants' day items, one
 * UpdateItem per tenant and day: the status changes (GET /v1/usage?groupBy=status), and the
 * messages of tenants without caps, which the API does not count (core/api/quota-step.ts).
 * Only records before the first failed one are counted: the stream delivers every record from
 * the first failure on again, and the retry counts them then. A failed write gives back the
 * groups written before it and fails the records, so the retry counts them once.
 */
import { acceptedCountsOf, groupStatusCounts, statusCountsOf, type UsageFigures } from '../domain/usage';

export interface StatusCountWriter {
  /** Adds figures to a tenant's day item, by group: a final status, a country, or '' for the totals. */
  addStatuses(tenantId: string, day: string, byGroup: ReadonlyMap<string, UsageFigures>): Promise<void>;
}

export interface StreamChange {
  eventName: string | undefined;
  oldImage: Record<string, unknown> | undefined;
  newImage: Record<string, unknown> | undefined;
}

/** Counts the changes; false when a write failed (the written groups were given back, best effort). */
export async function addStatusCounts(writer: StatusCountWriter, changes: readonly StreamChange[]): Promise<boolean> {
  const groups = groupStatusCounts(changes.flatMap((c) => [...acceptedCountsOf(c.eventName, c.newImage), ...statusCountsOf(c.eventName, c.oldImage, c.newImage)]));
  const written: typeof groups = [];
  for (const g of groups) {
    try {
      await writer.addStatuses(g.tenantId, g.day, g.byGroup);
      written.push(g);
    } catch {
      for (const w of written) {
        const negated = new Map([...w.byGroup].map(([s, f]) => [s, { messages: -f.messages, segments: -f.segments, spendMicros: -f.spendMicros }]));
        await writer.addStatuses(w.tenantId, w.day, negated).catch(() => undefined);
      }
      return false;
    }
  }
  return true;
}
