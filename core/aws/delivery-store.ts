/**
 * Delivery state written by the SMPP worker: SMSC-id mappings, receipts and
 * the SUBMITTED transition.
 *
 *   SMSC-id mapping (table-keys.ts smscIdKey)
 *     messageId, segment, segments, attempt     (written after submit_sm_resp)
 *     pendingReceipt                            (written by a receipt that came first)
 *
 * Both sides write the same item, and DynamoDB serialises writes to one item:
 * whichever comes second sees the other's data and applies the receipt. So a
 * receipt that overtakes its submit_sm_resp is held, never dropped.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CarrierEnvelope } from '../domain/envelopes';
import type { MessageStatus } from '../domain/message';
import type { Receipt, ReceiptState } from '../domain/receipt';
import { aggregateSegments, statusForReceipt } from '../domain/receipt-outcome';
import { dynamo } from './clients';
import { MessageStore } from './message-store';
import { isConditionalCheckFailed, ItemKind, malformedPduKey, messageKey, recordOf, smscIdKey } from './table-keys';

const DAY = 86_400;

export interface StoredReceipt {
  state: ReceiptState;
  errorCode?: string;
  doneAt?: string;
  receivedAt: string;
}

export type ReceiptResult =
  /** `status` when this receipt made the message final; `submittedAt` then too (for the receipt latency). */
  | { outcome: 'applied'; messageId: string; status?: MessageStatus; submittedAt?: string }
  | { outcome: 'not-final'; messageId: string }
  | { outcome: 'pending' };

export class DeliveryStore {
  private readonly messages: MessageStore;

  constructor(
    private readonly tableName: string,
    private readonly retentionDays: number,
    /** A SUBMITTED message whose receipts are not all in by then is swept to UNKNOWN. */
    private readonly receiptTimeoutSeconds: number,
    private readonly client: DynamoDBDocumentClient = dynamo(),
  ) {
    this.messages = new MessageStore(tableName, retentionDays, client);
  }

  private ttl(): number {
    return Math.floor(Date.now() / 1000) + this.retentionDays * DAY;
  }

  /**
   * After every segment was accepted: records SUBMITTED for this attempt, maps each
   * SMSC id to the message, then applies receipts that arrived first.
   * Returns false when the message was no longer ROUTED for this attempt.
   */
  async recordSubmitted(envelope: CarrierEnvelope, smscIds: string[], keys: string[]): Promise<boolean> {
    // SUBMITTED first, then the mappings: a receipt that finds a mapping then always finds the
    // message SUBMITTED; one that comes before the mapping is held on it and applied below.
    const now = new Date();
    const submitted = await this.messages.transition(envelope.messageId, 'SUBMITTED', {
      expectedAttempt: envelope.attempt,
      carrierId: envelope.carrierId,
      now,
      set: { smscIds, segmentReceipts: {}, submittedAt: now.toISOString(), dueAt: new Date(now.getTime() + this.receiptTimeoutSeconds * 1000).toISOString() },
    });
    const early: { segment: number; receipt: StoredReceipt }[] = [];
    await Promise.all(
      keys.map(async (key, segment) => {
        const out = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: smscIdKey(envelope.carrierId, key),
            // segment and segments are DynamoDB reserved words: named through placeholders.
            UpdateExpression: 'SET messageId = :m, #segment = :s, #segments = :n, attempt = :a, kind = :k, expiresAt = :e',
            ExpressionAttributeNames: { '#segment': 'segment', '#segments': 'segments' },
            ExpressionAttributeValues: { ':m': envelope.messageId, ':s': segment, ':n': keys.length, ':a': envelope.attempt, ':k': ItemKind.smscId, ':e': this.ttl() },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const pending = out.Attributes?.pendingReceipt as StoredReceipt | undefined;
        if (pending) early.push({ segment, receipt: pending });
      }),
    );
    for (const { segment, receipt } of early) await this.applyToMessage(envelope.messageId, segment, keys.length, receipt);
    return submitted.applied;
  }

  /** Correlates a receipt by its normalised SMSC id and applies it, or holds it until the mapping exists. */
  async applyReceipt(carrierId: string, key: string, receipt: Receipt): Promise<ReceiptResult> {
    const stored: StoredReceipt = {
      state: receipt.state,
      ...(receipt.errorCode !== undefined ? { errorCode: receipt.errorCode } : {}),
      ...(receipt.doneDate ? { doneAt: receipt.doneDate.toISOString() } : {}),
      receivedAt: new Date().toISOString(),
    };
    const mapping = await this.client.send(new GetCommand({ TableName: this.tableName, Key: smscIdKey(carrierId, key), ConsistentRead: true }));
    let item = mapping.Item;
    if (!item?.messageId) {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: smscIdKey(carrierId, key),
            UpdateExpression: 'SET pendingReceipt = :r, kind = :k, expiresAt = :e',
            ConditionExpression: 'attribute_not_exists(messageId)',
            ExpressionAttributeValues: { ':r': stored, ':k': ItemKind.smscId, ':e': this.ttl() },
          }),
        );
        return { outcome: 'pending' };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
        // The mapping was written between our read and our write: apply now.
        item = (await this.client.send(new GetCommand({ TableName: this.tableName, Key: smscIdKey(carrierId, key), ConsistentRead: true }))).Item;
      }
    }
    const messageId = String(item!.messageId);
    const final = await this.applyToMessage(messageId, Number(item!.segment), Number(item!.segments), stored);
    if (final === undefined && statusForReceipt(stored.state) === undefined) return { outcome: 'not-final', messageId };
    return { outcome: 'applied', messageId, ...(final ? { status: final.status, ...(final.submittedAt ? { submittedAt: final.submittedAt } : {}) } : {}) };
  }

  /** Keeps a deliver_sm that could not be read: the reason only, never its text (it may hold message content). */
  async recordMalformed(carrierId: string, reason: string, esmClass: number, at = new Date()): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...malformedPduKey(carrierId, at, Math.random().toString(36).slice(2, 8)),
          kind: ItemKind.malformedPdu,
          reason,
          esmClass,
          expiresAt: Math.floor(at.getTime() / 1000) + this.retentionDays * DAY,
        },
      }),
    );
  }

  /** Records a segment's final receipt on the message; moves the message when its last segment is final. */
  private async applyToMessage(messageId: string, segment: number, segments: number, receipt: StoredReceipt): Promise<{ status: MessageStatus; submittedAt?: string } | undefined> {
    if (statusForReceipt(receipt.state) === undefined) return undefined;
    let states: Record<string, ReceiptState>;
    if (segments === 1) {
      states = { '0': receipt.state };
    } else {
      try {
        const out = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: messageKey(messageId),
            UpdateExpression: 'SET segmentReceipts.#seg = :state',
            ConditionExpression: '#status = :submitted AND attribute_exists(segmentReceipts)',
            ExpressionAttributeNames: { '#seg': String(segment), '#status': 'status' },
            ExpressionAttributeValues: { ':state': receipt.state, ':submitted': 'SUBMITTED' },
            ReturnValues: 'ALL_NEW',
          }),
        );
        states = (recordOf(out.Attributes ?? {}) as unknown as { segmentReceipts?: Record<string, ReceiptState> }).segmentReceipts ?? {};
      } catch (err) {
        if (isConditionalCheckFailed(err)) return undefined; // already final (or not submitted): a late receipt changes nothing
        throw err;
      }
    }
    const outcome = aggregateSegments(states, segments);
    if (!outcome.complete || !outcome.status) return undefined;
    const result = await this.messages.transition(messageId, outcome.status, {
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      set: { receipt: { state: receipt.state, ...(receipt.errorCode ? { errorCode: receipt.errorCode } : {}), receivedAt: receipt.receivedAt, ...(receipt.doneAt ? { doneAt: receipt.doneAt } : {}) } },
    });
    if (!result.applied) return undefined;
    return { status: outcome.status, ...(result.record.submittedAt ? { submittedAt: result.record.submittedAt } : {}) };
  }
}
