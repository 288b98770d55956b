/**
 * The single-item operations of delivery state: the SMSC-id mapping (written
 * after submit_sm_resp, or first by a receipt that overtook it and is held on
 * it), and a receipt applied to its message. The batched paths
 * (submitted-writes.ts, receipt-writes.ts) do the common case many at a time
 * and come here for what a batch cannot decide: a receipt held before its
 * mapping existed, a multi-part message, a condition that failed for a reason
 * the batch cannot tell apart.
 *
 *   SMSC-id mapping (table-keys.ts smscIdKey)
 *     messageId, segment, segments, attempt     written after submit_sm_resp
 *     historyIndex, submittedAt                 where the next history entry goes, and when
 *     pendingReceipt                            written by a receipt that came first
 *
 * Both sides write the same item, and DynamoDB serialises writes to one item:
 * whichever comes second sees the other's data and applies the receipt. So a
 * receipt that overtakes its submit_sm_resp is held, never dropped.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MessageStatus, ReceiptDetails } from '../domain/message';
import type { Receipt, ReceiptState } from '../domain/receipt';
import { aggregateSegments, statusForReceipt } from '../domain/receipt-outcome';
import type { MessageStore } from './message-store';
import { isConditionalCheckFailed, ItemKind, messageKey, recordOf, smscIdKey } from './table-keys';

const DAY_SECONDS = 86_400;

/** A receipt as it is kept: on its message, or on the mapping while the mapping is not there yet. */
export interface StoredReceipt {
  state: ReceiptState;
  errorCode?: string;
  doneAt?: string;
  receivedAt: string;
}

export function storedReceipt(receipt: Receipt, now = new Date()): StoredReceipt {
  return {
    state: receipt.state,
    ...(receipt.errorCode !== undefined ? { errorCode: receipt.errorCode } : {}),
    ...(receipt.doneDate ? { doneAt: receipt.doneDate.toISOString() } : {}),
    receivedAt: now.toISOString(),
  };
}

/** What the message record keeps of the receipt that made it final. */
export function receiptDetails(receipt: StoredReceipt): ReceiptDetails {
  return { state: receipt.state, ...(receipt.errorCode ? { errorCode: receipt.errorCode } : {}), receivedAt: receipt.receivedAt, ...(receipt.doneAt ? { doneAt: receipt.doneAt } : {}) };
}

/** The mapping of one segment's SMSC id, as submitted-writes.ts writes it. */
export interface Mapping {
  messageId: string;
  segment: number;
  segments: number;
  attempt: number;
  /** The history index of the message's next entry (the one a receipt appends); absent on mappings of older versions. */
  historyIndex?: number;
  submittedAt?: string;
  pendingReceipt?: StoredReceipt;
}

/** A mapping item's fields, when it holds a message id (a held receipt alone does not). */
export function mappingOf(item: Record<string, unknown> | undefined): Mapping | undefined {
  if (!item || typeof item.messageId !== 'string') return undefined;
  return {
    messageId: item.messageId,
    segment: Number(item.segment),
    segments: Number(item.segments),
    attempt: Number(item.attempt),
    ...(typeof item.historyIndex === 'number' ? { historyIndex: item.historyIndex } : {}),
    ...(typeof item.submittedAt === 'string' ? { submittedAt: item.submittedAt } : {}),
    ...(item.pendingReceipt ? { pendingReceipt: item.pendingReceipt as StoredReceipt } : {}),
  };
}

/** What a receipt did to its message: made it final; nothing yet (a segment of several, or not final); or nothing because the message had moved on (final already, or not SUBMITTED). */
export type Applied = { status: MessageStatus; submittedAt?: string } | undefined | typeof MOVED_ON;
export const MOVED_ON = 'moved-on';

/**
 * SMSC ids are not unique forever: SMSCs restart their counters and reuse ids. A receipt held on a
 * key is applied to a mapping written there later only when it came at most this long before
 * that submission (it overtook its submit_sm_resp); an older one belonged to an earlier message.
 */
export const HELD_RECEIPT_MAX_LEAD_MS = 60_000;

/** Whether a receipt held on a mapping's key belongs to the message of that mapping (see HELD_RECEIPT_MAX_LEAD_MS). */
export function heldReceiptFits(m: Pick<Mapping, 'submittedAt'>, held: StoredReceipt): boolean {
  return m.submittedAt === undefined || Date.parse(held.receivedAt) >= Date.parse(m.submittedAt) - HELD_RECEIPT_MAX_LEAD_MS;
}

export class DeliveryItems {
  constructor(
    private readonly tableName: string,
    private readonly retentionDays: number,
    private readonly client: DynamoDBDocumentClient,
    private readonly messages: Pick<MessageStore, 'transition'>,
  ) {}

  /** Mappings and held receipts are kept as long as finished messages. */
  ttl(): number {
    return Math.floor(Date.now() / 1000) + this.retentionDays * DAY_SECONDS;
  }

  /** The mapping item of a segment, as written after submit_sm_resp (historyIndex: the message's next history index). */
  mappingItem(carrierId: string, key: string, m: Omit<Mapping, 'pendingReceipt'>): Record<string, unknown> {
    return { ...smscIdKey(carrierId, key), kind: ItemKind.smscId, ...m, expiresAt: this.ttl() };
  }

  /** Writes a mapping over an item that exists (a held receipt): the receipt it held, if any. */
  async completeMapping(carrierId: string, key: string, m: Omit<Mapping, 'pendingReceipt'>): Promise<StoredReceipt | undefined> {
    const { pk: _pk, sk: _sk, ...fields } = this.mappingItem(carrierId, key, m);
    const names = Object.fromEntries(Object.keys(fields).map((k) => [`#${k}`, k]));
    const out = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: smscIdKey(carrierId, key),
        // Every name through a placeholder: segment and segments are DynamoDB reserved words.
        UpdateExpression: `SET ${Object.keys(fields).map((k) => `#${k} = :${k}`).join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: Object.fromEntries(Object.entries(fields).map(([k, v]) => [`:${k}`, v])),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes?.pendingReceipt as StoredReceipt | undefined;
  }

  /**
   * Holds a receipt on its mapping's key until the mapping comes. `replacing`: the key holds a mapping
   * whose message has moved on — a resent receipt, or the receipt of a newer message that reuses the
   * SMSC id and whose mapping is not written yet — and the receipt takes its place (the newer mapping
   * applies it when it comes; a resent one never is: heldReceiptFits). When a mapping was written
   * there meanwhile, that mapping instead (to apply the receipt now).
   */
  async hold(carrierId: string, key: string, receipt: StoredReceipt, replacing?: Pick<Mapping, 'messageId'>): Promise<{ held: true } | { held: false; mapping: Mapping }> {
    const itemKey = smscIdKey(carrierId, key);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKey,
          UpdateExpression: `SET pendingReceipt = :r, kind = :k, expiresAt = :e${replacing ? ' REMOVE messageId, #segment, #segments, attempt, historyIndex, submittedAt' : ''}`,
          ConditionExpression: replacing ? 'messageId = :stale' : 'attribute_not_exists(messageId)',
          ...(replacing ? { ExpressionAttributeNames: { '#segment': 'segment', '#segments': 'segments' } } : {}),
          ExpressionAttributeValues: { ':r': receipt, ':k': ItemKind.smscId, ':e': this.ttl(), ...(replacing ? { ':stale': replacing.messageId } : {}) },
        }),
      );
      return { held: true };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      // Another mapping was written between our read and our write: apply now.
      const mapping = mappingOf((await this.client.send(new GetCommand({ TableName: this.tableName, Key: itemKey, ConsistentRead: true }))).Item);
      if (mapping) return { held: false, mapping };
      // The stale mapping went meanwhile (another receipt held over it): hold on the bare key.
      if (replacing) return this.hold(carrierId, key, receipt);
      throw new Error(`the SMSC-id mapping ${itemKey.pk} refused a held receipt but holds no message id`);
    }
  }

  /** Records a segment's final receipt on the message; moves the message when its last segment is final. */
  async applyToMessage(mapping: Pick<Mapping, 'messageId' | 'segment' | 'segments'>, receipt: StoredReceipt): Promise<Applied> {
    if (statusForReceipt(receipt.state) === undefined) return undefined;
    let states: Record<string, ReceiptState>;
    if (mapping.segments === 1) {
      states = { '0': receipt.state };
    } else {
      try {
        const out = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: messageKey(mapping.messageId),
            UpdateExpression: 'SET segmentReceipts.#seg = :state',
            ConditionExpression: '#status = :submitted AND attribute_exists(segmentReceipts)',
            ExpressionAttributeNames: { '#seg': String(mapping.segment), '#status': 'status' },
            ExpressionAttributeValues: { ':state': receipt.state, ':submitted': 'SUBMITTED' },
            ReturnValues: 'ALL_NEW',
          }),
        );
        states = (recordOf(out.Attributes ?? {}) as unknown as { segmentReceipts?: Record<string, ReceiptState> }).segmentReceipts ?? {};
      } catch (err) {
        if (isConditionalCheckFailed(err)) return MOVED_ON; // already final (or not submitted): a late receipt changes nothing
        throw err;
      }
    }
    const outcome = aggregateSegments(states, mapping.segments);
    if (!outcome.complete || !outcome.status) return undefined;
    const result = await this.messages.transition(mapping.messageId, outcome.status, { ...(outcome.reason ? { reason: outcome.reason } : {}), set: { receipt: receiptDetails(receipt) } });
    if (!result.applied) return MOVED_ON;
    return { status: outcome.status, ...(result.record.submittedAt ? { submittedAt: result.record.submittedAt } : {}) };
  }
}
