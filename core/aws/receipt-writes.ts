/**
 * A receipt, applied through the table pipe (table-pipe.ts): its SMSC-id
 * mapping from the mapping cache when this process wrote it, else a consistent
 * read coalesced with every other within 20 ms; the final change of a
 * single-part message as one write coalesced with the others. What that cannot
 * decide goes the single-item way (delivery-items.ts): a receipt with no mapping
 * yet (held), a multi-part message (its segment receipts are read back), a
 * change whose history-size guard failed.
 *
 * A receipt can find its mapping before the SUBMITTED change written in the same
 * request has landed (the two are not ordered within it): it waits for it a few
 * times before giving up, so it is applied, not dropped.
 */
import type { MessageStatus } from '../domain/message';
import type { Receipt } from '../domain/receipt';
import { aggregateSegments, statusForReceipt } from '../domain/receipt-outcome';
import type { WriteOutcome } from './batch-writes';
import { mappingOf, receiptDetails, storedReceipt, type Applied, type DeliveryItems, type Mapping, type StoredReceipt } from './delivery-items';
import type { MappingCache } from './mapping-cache';
import type { MessageStore } from './message-store';
import type { TablePipe } from './table-pipe';
import { messageKey, smscIdKey } from './table-keys';

export type ReceiptResult =
  /** `status` when this receipt made the message final; `submittedAt` then too (for the receipt latency). */
  | { outcome: 'applied'; messageId: string; status?: MessageStatus; submittedAt?: string }
  | { outcome: 'not-final'; messageId: string }
  | { outcome: 'pending' };

/** Waits of a receipt whose message's SUBMITTED change is still on its way. */
const SUBMITTED_WAITS_MS = [50, 200, 800];

export class ReceiptWrites {
  constructor(
    private readonly pipe: TablePipe,
    private readonly messages: Pick<MessageStore, 'plan'>,
    private readonly items: DeliveryItems,
    private readonly cache: MappingCache,
  ) {}

  /** Correlates a receipt by its normalised SMSC id and applies it, or holds it until the mapping exists. */
  async apply(carrierId: string, key: string, receipt: Receipt): Promise<ReceiptResult> {
    const stored = storedReceipt(receipt);
    const m = this.cache.take(carrierId, key) ?? mappingOf(await this.pipe.read(smscIdKey(carrierId, key)));
    if (!m) {
      const held = await this.items.holdOrFind(carrierId, key, stored);
      if (held.held) return { outcome: 'pending' };
      return this.result(held.mapping, stored, await this.items.applyToMessage(held.mapping, stored));
    }
    if (statusForReceipt(stored.state) === undefined) return { outcome: 'not-final', messageId: m.messageId };
    // Single-part messages: one conditional change. Multi-part ones record the segment first.
    if (m.segments !== 1 || m.historyIndex === undefined) return this.result(m, stored, await this.items.applyToMessage(m, stored));
    const { status, reason } = aggregateSegments({ '0': stored.state }, 1);
    const plan = this.messages.plan(status!, { ...(reason ? { reason } : {}), set: { receipt: receiptDetails(stored) } });
    const [outcome] = await this.pipe.write([{ kind: 'transition', key: messageKey(m.messageId), plan, historyLength: m.historyIndex }]);
    return this.decided(m, stored, outcome!);
  }

  private async decided(m: Mapping, receipt: StoredReceipt, outcome: WriteOutcome): Promise<ReceiptResult> {
    if (outcome.ok) return this.result(m, receipt, { status: statusForReceipt(receipt.state)!, ...(m.submittedAt ? { submittedAt: m.submittedAt } : {}) });
    if ('error' in outcome) throw outcome.error;
    if (!('conditionFailed' in outcome)) throw new Error('an UPDATE answered DuplicateItem');
    const current = outcome.item;
    // Its SUBMITTED change has not landed yet (written in the same request as the mapping): wait for it.
    if (current?.status === 'ROUTED' && current.attempt === m.attempt) {
      for (const waitMs of SUBMITTED_WAITS_MS) {
        await new Promise((r) => setTimeout(r, waitMs));
        const applied = await this.items.applyToMessage(m, receipt);
        if (applied) return this.result(m, receipt, applied);
      }
    }
    // SUBMITTED, but its history is not as the mapping expects (another attempt's receipt): the plain conditional write decides.
    if (current?.status === 'SUBMITTED') return this.result(m, receipt, await this.items.applyToMessage(m, receipt));
    return this.result(m, receipt, undefined); // final already (a duplicate receipt), or moved on: a late receipt changes nothing
  }

  private result(m: Mapping, receipt: StoredReceipt, applied: Applied): ReceiptResult {
    if (applied === undefined && statusForReceipt(receipt.state) === undefined) return { outcome: 'not-final', messageId: m.messageId };
    return { outcome: 'applied', messageId: m.messageId, ...(applied ? { status: applied.status, ...(applied.submittedAt ? { submittedAt: applied.submittedAt } : {}) } : {}) };
  }
}
