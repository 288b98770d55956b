/**
 * SUBMITTED and the SMSC-id mappings of one message, one write group of the
 * table pipe (table-pipe.ts: coalesced with everything else written within
 * 20 ms, the group kept in one request). The message learns its own outcome:
 * - SUBMITTED applied, or not (the message moved on: canceled, another attempt);
 *   when only the history-size guard failed, the change is made with UpdateItem;
 * - a mapping INSERT that meets an item is a receipt that came first and is held
 *   there: the mapping is completed with UpdateItem and the receipt applied.
 *
 * The two writes of a message are not ordered within the batch; a receipt that
 * finds the mapping before SUBMITTED has landed waits for it (receipt-writes.ts).
 */
import type { CarrierEnvelope } from '../domain/envelopes';
import type { Write, WriteOutcome } from './batch-writes';
import type { DeliveryItems, Mapping } from './delivery-items';
import type { MappingCache } from './mapping-cache';
import type { MessageStore } from './message-store';
import type { TablePipe } from './table-pipe';
import { messageKey } from './table-keys';

export interface SubmittedMessage {
  envelope: CarrierEnvelope;
  /** The SMSC's ids, one per segment, as it sent them. */
  smscIds: string[];
  /** The same, normalised per the carrier's receiptIdFormat: the mapping keys. */
  keys: string[];
  /** Entries in the message's history when the worker read it before submitting. */
  historyLength: number;
}

export class SubmittedWrites {
  constructor(
    /** A SUBMITTED message whose receipts are not all in by then is swept to UNKNOWN. */
    private readonly receiptTimeoutSeconds: number,
    private readonly pipe: TablePipe,
    private readonly messages: Pick<MessageStore, 'plan' | 'transition'>,
    private readonly items: DeliveryItems,
    private readonly cache: MappingCache,
  ) {}

  /** Records SUBMITTED for this attempt and maps each SMSC id; false when the message was no longer ROUTED for it. */
  async record(m: SubmittedMessage): Promise<boolean> {
    const now = new Date();
    const mappings = m.keys.map((_, segment) => this.mapping(m, segment, now.toISOString()));
    const [submitted, ...mapped] = await this.pipe.write([
      { kind: 'transition', key: messageKey(m.envelope.messageId), plan: this.messages.plan('SUBMITTED', this.submittedOptions(m, now)), historyLength: m.historyLength },
      ...m.keys.map((key, segment): Write => ({ kind: 'insert', item: this.items.mappingItem(m.envelope.carrierId, key, mappings[segment]!) })),
    ]);
    const applied = await this.submittedOutcome(m, submitted!, now);
    await this.mappingOutcomes(m, mapped, now);
    // What receipts for these ids will need, without reading it back (written, or completed over a held receipt).
    m.keys.forEach((key, segment) => this.cache.remember(m.envelope.carrierId, key, mappings[segment]!));
    return applied;
  }

  private submittedOptions(m: SubmittedMessage, now: Date) {
    return {
      expectedAttempt: m.envelope.attempt,
      carrierId: m.envelope.carrierId,
      now,
      set: { smscIds: m.smscIds, segmentReceipts: {}, submittedAt: now.toISOString(), dueAt: new Date(now.getTime() + this.receiptTimeoutSeconds * 1000).toISOString() },
    };
  }

  private mapping(m: SubmittedMessage, segment: number, submittedAt: string): Mapping {
    // SUBMITTED takes index historyLength; a receipt's change the next one.
    return { messageId: m.envelope.messageId, segment, segments: m.keys.length, attempt: m.envelope.attempt, historyIndex: m.historyLength + 1, submittedAt };
  }

  private async submittedOutcome(m: SubmittedMessage, outcome: WriteOutcome, now: Date): Promise<boolean> {
    if (outcome.ok) return true;
    if ('error' in outcome) throw outcome.error;
    if ('duplicate' in outcome) throw new Error('an UPDATE answered DuplicateItem');
    const current = outcome.item;
    // Still ROUTED for this attempt: only the history-size guard failed (the history changed since it
    // was read). The plain conditional write decides.
    if (current?.status === 'ROUTED' && current.attempt === m.envelope.attempt) {
      return (await this.messages.transition(m.envelope.messageId, 'SUBMITTED', this.submittedOptions(m, now))).applied;
    }
    return false;
  }

  private async mappingOutcomes(m: SubmittedMessage, outcomes: WriteOutcome[], now: Date): Promise<void> {
    await Promise.all(
      outcomes.map(async (outcome, segment) => {
        if (outcome.ok) return;
        if ('error' in outcome) throw outcome.error;
        // The key exists: a receipt that overtook its submit_sm_resp is held there.
        const held = await this.items.completeMapping(m.envelope.carrierId, m.keys[segment]!, this.mapping(m, segment, now.toISOString()));
        if (held) await this.items.applyToMessage({ messageId: m.envelope.messageId, segment, segments: m.keys.length }, held);
      }),
    );
  }
}
