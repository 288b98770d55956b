/**
 * SUBMITTED for a message's attempt, one write of the table pipe (table-pipe.ts:
 * coalesced with everything else written within 20 ms). The message learns its
 * own outcome: applied; applied over a cancel or an expiry that came while the
 * SMSC accepted it (the message was sent: planLateSubmission in
 * core/domain/transition.ts); or not (another attempt, another submission of
 * this one). When only the history-size guard failed, UpdateItem decides.
 *
 * Its SMSC-id mappings go to the mapping cache and are written only when their
 * receipts do not come first (pending-mappings.ts). A mapping INSERT that meets
 * an item finds a receipt that came first and is held there: the mapping is
 * completed with UpdateItem and the receipt applied.
 */
import type { CarrierEnvelope } from '../domain/envelopes';
import type { MessageRecord, MessageStatus, StatusChange } from '../domain/message';
import type { Write, WriteOutcome } from './batch-writes';
import { heldReceiptFits, type DeliveryItems, type Mapping } from './delivery-items';
import type { MappingCache } from './mapping-cache';
import type { MessageStore } from './message-store';
import { MAX_BATCH_STATEMENTS } from './partiql';
import type { MappingEntry, PendingMappings } from './pending-mappings';
import type { TablePipe } from './table-pipe';
import { messageKey, recordOf } from './table-keys';

export interface SubmittedMessage {
  envelope: CarrierEnvelope;
  /** The SMSC's ids, one per segment, as it sent them. */
  smscIds: string[];
  /** The same, normalised per the carrier's receiptIdFormat: the mapping keys. */
  keys: string[];
  /** Entries in the message's history when the worker read it before submitting. */
  historyLength: number;
}

/** What became of SUBMITTED; `settled` resolves once no mapping of it is left only in memory (the carrier-queue message may then go), and rejects when writing them failed. */
export type Submitted =
  | {
      applied: true;
      /** Set when SUBMITTED replaced a cancel or an expiry that came while the SMSC accepted the message (OUTRANKED_BY_SUBMISSION): the status it replaced. */
      replaced?: MessageStatus;
      settled: Promise<void>;
    }
  | {
      /** Not recorded: the record is on another attempt or in a status the acceptance does not outrank. */
      applied: false;
      /** The record's status then (MISSING when there is none). */
      current: MessageStatus | 'MISSING';
      settled: Promise<void>;
    };

/** Where SUBMITTED went in the history, or why it was not written. */
type Written = { applied: true; submittedIndex: number; replaced?: MessageStatus } | { applied: false; current: MessageStatus | 'MISSING' };

export class SubmittedWrites {
  constructor(
    private readonly options: {
      /** A SUBMITTED message whose receipts are not all in by then is swept to UNKNOWN. */
      receiptTimeoutSeconds: number;
      /** Keep the text after SUBMITTED; by default it goes with that change (nothing reads it after). */
      retainText: boolean;
    },
    private readonly pipe: TablePipe,
    private readonly messages: Pick<MessageStore, 'plan' | 'planLateSubmission' | 'transition'>,
    private readonly items: DeliveryItems,
    private readonly cache: MappingCache,
    private readonly pending: PendingMappings,
  ) {}

  /** Records SUBMITTED for this attempt; its mappings are cached, and written unless their receipts come first. */
  async record(m: SubmittedMessage): Promise<Submitted> {
    const now = new Date();
    const [outcome] = await this.pipe.write([
      { kind: 'transition', key: messageKey(m.envelope.messageId), plan: this.messages.plan('SUBMITTED', this.submittedOptions(m, now)), historyLength: m.historyLength },
    ]);
    const written = await this.submittedOutcome(m, outcome!, now);
    // Not applied: nothing of this attempt will be recorded, and its receipts change nothing.
    if (!written.applied) return { applied: false, current: written.current, settled: Promise.resolve() };
    // A receipt's change goes right after SUBMITTED.
    const entries = m.keys.map((key, segment): MappingEntry => ({ key, mapping: this.mapping(m, segment, now.toISOString(), written.submittedIndex + 1) }));
    for (const e of entries) this.cache.remember(m.envelope.carrierId, e.key, e.mapping);
    return { applied: true, ...(written.replaced ? { replaced: written.replaced } : {}), settled: this.pending.add(m.envelope.carrierId, entries) };
  }

  /**
   * The mappings of a message found SUBMITTED for this attempt on a queue message that came back: the
   * process that submitted it may have died before writing them. Written from the SMSC ids on the record.
   */
  async restore(envelope: CarrierEnvelope, keys: string[], record: { historyLength: number; submittedAt: string }): Promise<void> {
    // SUBMITTED is the last entry of the history; a receipt's change comes after it.
    const m = { envelope, keys, smscIds: [], historyLength: record.historyLength - 1 };
    await this.writeMappings(
      envelope.carrierId,
      keys.map((key, segment) => ({ key, mapping: this.mapping(m, segment, record.submittedAt, record.historyLength) })),
    );
  }

  /** Writes mappings, up to 25 to a request; one that meets a held receipt completes it and applies the receipt. */
  async writeMappings(carrierId: string, entries: MappingEntry[]): Promise<void> {
    const chunks: MappingEntry[][] = [];
    for (let i = 0; i < entries.length; i += MAX_BATCH_STATEMENTS) chunks.push(entries.slice(i, i + MAX_BATCH_STATEMENTS));
    await Promise.all(
      chunks.map(async (chunk) => {
        const outcomes = await this.pipe.write(chunk.map((e): Write => ({ kind: 'insert', item: this.items.mappingItem(carrierId, e.key, e.mapping) })));
        await Promise.all(outcomes.map((outcome, i) => this.mappingOutcome(carrierId, chunk[i]!, outcome)));
      }),
    );
  }

  private submittedOptions(m: SubmittedMessage, now: Date) {
    return {
      expectedAttempt: m.envelope.attempt,
      carrierId: m.envelope.carrierId,
      now,
      set: { smscIds: m.smscIds, segmentReceipts: {}, submittedAt: now.toISOString(), dueAt: new Date(now.getTime() + this.options.receiptTimeoutSeconds * 1000).toISOString() },
      ...(this.options.retainText ? {} : { remove: ['text'] }),
    };
  }

  private mapping(m: SubmittedMessage, segment: number, submittedAt: string, historyIndex: number): Mapping {
    // historyIndex: where a receipt's change goes in the history (SUBMITTED's index + 1).
    return { messageId: m.envelope.messageId, segment, segments: m.keys.length, attempt: m.envelope.attempt, historyIndex, submittedAt };
  }

  /**
   * What a failed condition means, from the item it returns: only the history changed (still ROUTED
   * for this attempt: the plain conditional write decides); this very write applied before (a retried
   * request: SUBMITTED with these SMSC ids); a cancel or expiry came while the SMSC accepted it
   * (SUBMITTED over it, in the exact next history entry); or the message moved on without it.
   */
  private async submittedOutcome(m: SubmittedMessage, outcome: WriteOutcome, now: Date): Promise<Written> {
    if (outcome.ok) return { applied: true, submittedIndex: m.historyLength };
    if ('error' in outcome) throw outcome.error;
    if ('duplicate' in outcome) throw new Error('an UPDATE answered DuplicateItem');
    const current = outcome.item ? recordOf(outcome.item) : undefined;
    if (!current) return found(undefined, m);
    const options = this.submittedOptions(m, now);
    if (current.status === 'ROUTED' && current.attempt === m.envelope.attempt) {
      const result = await this.messages.transition(m.envelope.messageId, 'SUBMITTED', options);
      return result.applied ? { applied: true, submittedIndex: result.record.history.length - 1 } : found(result.current, m);
    }
    const late = isThisSubmission(current, m) ? undefined : this.messages.planLateSubmission(current, options);
    if (!late) return found(current, m);
    const [lateOutcome] = await this.pipe.write([{ kind: 'transition', key: messageKey(m.envelope.messageId), plan: late, historyLength: current.history.length }]);
    if (lateOutcome!.ok) return { applied: true, submittedIndex: current.history.length, replaced: current.status };
    if ('error' in lateOutcome!) throw lateOutcome.error;
    // A final record changed meanwhile: this write retried, or another submission of this attempt, which recorded itself.
    const after = found('item' in lateOutcome! && lateOutcome.item ? recordOf(lateOutcome.item) : undefined, m);
    return after.applied ? { ...after, replaced: current.status } : after;
  }

  private async mappingOutcome(carrierId: string, e: MappingEntry, outcome: WriteOutcome): Promise<void> {
    if (outcome.ok) return;
    if ('error' in outcome) throw outcome.error;
    // The key exists: a receipt that overtook its submit_sm_resp (or went where the id was unknown) is held there.
    const held = await this.items.completeMapping(carrierId, e.key, e.mapping);
    // A receipt held long before this submission belonged to an earlier message with the same SMSC id.
    if (held && heldReceiptFits(e.mapping, held)) await this.items.applyToMessage(e.mapping, held);
  }
}

/** A record SUBMITTED by this very write is applied (its receipt goes after that entry); any other is not. */
function found(record: MessageRecord | undefined, m: SubmittedMessage): Written {
  if (!record) return { applied: false, current: 'MISSING' };
  return isThisSubmission(record, m) ? { applied: true, submittedIndex: lastSubmitted(record.history) } : { applied: false, current: record.status };
}

/** SUBMITTED by this very write, applied before (a retried request whose first answer was lost): this attempt, these SMSC ids. */
function isThisSubmission(record: MessageRecord, m: SubmittedMessage): boolean {
  const ids = record.smscIds;
  return record.status === 'SUBMITTED' && record.attempt === m.envelope.attempt && ids !== undefined && ids.length === m.smscIds.length && ids.every((id, i) => id === m.smscIds[i]);
}

function lastSubmitted(history: readonly StatusChange[]): number {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.status === 'SUBMITTED') return i;
  return history.length - 1;
}
