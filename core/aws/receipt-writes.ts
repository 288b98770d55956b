/**
 * A receipt, applied through the table pipe (table-pipe.ts): its SMSC-id
 * mapping from the mapping cache when this process submitted the message (the
 * mapping may then never be written: pending-mappings.ts), else a consistent
 * read coalesced with every other within 20 ms; the final change of a
 * single-part message as one write coalesced with the others. What that cannot
 * decide goes the single-item way (delivery-items.ts): a receipt with no mapping
 * yet (held), a multi-part message (its segment receipts are read back), a
 * change whose history-size guard failed.
 *
 * A mapping exists only once its SUBMITTED change has landed: submitted-writes.ts
 * caches and writes it after. A mapping read from the table whose message has
 * moved on is not trusted: SMSC ids are reused (counters restart), so the
 * receipt is held in its place for a newer mapping (delivery-items.ts hold).
 */
import type { MessageStatus } from '../domain/message';
import type { Receipt } from '../domain/receipt';
import { aggregateSegments, statusForReceipt } from '../domain/receipt-outcome';
import type { WriteOutcome } from './batch-writes';
import { mappingOf, MOVED_ON, receiptDetails, storedReceipt, type Applied, type DeliveryItems, type Mapping, type StoredReceipt } from './delivery-items';
import type { MappingCache } from './mapping-cache';
import type { MessageStore } from './message-store';
import type { PendingMappings } from './pending-mappings';
import type { TablePipe } from './table-pipe';
import { messageKey, smscIdKey } from './table-keys';

export type ReceiptResult =
  /** `status` when this receipt made the message final; `submittedAt` then too (for the receipt latency). */
  | { outcome: 'applied'; messageId: string; status?: MessageStatus; submittedAt?: string }
  | { outcome: 'not-final'; messageId: string }
  | { outcome: 'pending' };

export class ReceiptWrites {
  constructor(
    private readonly pipe: TablePipe,
    private readonly messages: Pick<MessageStore, 'plan'>,
    private readonly items: DeliveryItems,
    private readonly cache: MappingCache,
    private readonly pending: PendingMappings,
  ) {}

  /** Correlates a receipt by its normalised SMSC id and applies it, or holds it until the mapping exists. */
  async apply(carrierId: string, key: string, receipt: Receipt): Promise<ReceiptResult> {
    const stored = storedReceipt(receipt);
    const cached = this.cache.get(carrierId, key);
    const m = cached ?? mappingOf(await this.pipe.read(smscIdKey(carrierId, key)));
    if (!m) return this.held(carrierId, key, stored, await this.items.hold(carrierId, key, stored));
    if (statusForReceipt(stored.state) === undefined) return { outcome: 'not-final', messageId: m.messageId };
    if (cached) {
      // This segment is final: its mapping need not be written, and a resent receipt reads the table.
      this.cache.forget(carrierId, key);
      this.pending.resolve(carrierId, key);
    }
    const applied = await this.applyFinal(m, stored);
    // A mapping read from the table whose message moved on may be another message's: SMSC ids get reused.
    if (applied === MOVED_ON && !cached) return this.held(carrierId, key, stored, await this.items.hold(carrierId, key, stored, m));
    return this.result(m, stored, applied);
  }

  /** A held receipt (its mapping, when pending here, is written now and applies it), or the mapping that came meanwhile applied. */
  private async held(carrierId: string, key: string, stored: StoredReceipt, held: { held: true } | { held: false; mapping: Mapping }): Promise<ReceiptResult> {
    if (!held.held) return this.result(held.mapping, stored, await this.items.applyToMessage(held.mapping, stored));
    this.pending.held(carrierId, key);
    return { outcome: 'pending' };
  }

  /** Single-part messages: one conditional change, coalesced. Multi-part ones record the segment first. */
  private async applyFinal(m: Mapping, stored: StoredReceipt): Promise<Applied> {
    if (m.segments !== 1 || m.historyIndex === undefined) return this.items.applyToMessage(m, stored);
    const { status, reason } = aggregateSegments({ '0': stored.state }, 1);
    const plan = this.messages.plan(status!, { ...(reason ? { reason } : {}), set: { receipt: receiptDetails(stored) } });
    const [outcome] = await this.pipe.write([{ kind: 'transition', key: messageKey(m.messageId), plan, historyLength: m.historyIndex }]);
    if (outcome!.ok) return { status: status!, ...(m.submittedAt ? { submittedAt: m.submittedAt } : {}) };
    if ('error' in outcome!) throw outcome.error;
    if (!('conditionFailed' in outcome!)) throw new Error('an UPDATE answered DuplicateItem');
    // SUBMITTED, but its history is not as the mapping expects (another attempt's receipt): the plain conditional write decides.
    if (outcome.item?.status === 'SUBMITTED') return this.items.applyToMessage(m, stored);
    return MOVED_ON; // final already (a duplicate receipt), or moved on
  }

  private result(m: Mapping, receipt: StoredReceipt, applied: Applied): ReceiptResult {
    const made = applied === MOVED_ON ? undefined : applied;
    if (made === undefined && statusForReceipt(receipt.state) === undefined) return { outcome: 'not-final', messageId: m.messageId };
    return { outcome: 'applied', messageId: m.messageId, ...(made ? { status: made.status, ...(made.submittedAt ? { submittedAt: made.submittedAt } : {}) } : {}) };
  }
}
