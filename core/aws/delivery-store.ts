/**
 * Delivery state read and written by the SMPP worker: the records of a received
 * group, SUBMITTED with the SMSC-id mappings after submit_sm_resp, and receipts.
 * All of it goes through one table pipe (table-pipe.ts): what comes within
 * `lingerMs` (20 ms) shares one request, and each caller still learns its own
 * outcome (submitted-writes.ts, receipt-writes.ts). The single-item operations
 * under them, and the item layout, are in delivery-items.ts.
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Receipt } from '../domain/receipt';
import { batchWriter, type WriteMode } from './batch-writes';
import { dynamo } from './clients';
import { DeliveryItems } from './delivery-items';
import { MessageStore } from './message-store';
import { ReceiptWrites, type ReceiptResult } from './receipt-writes';
import { SubmittedWrites, type Submitted, type SubmittedMessage } from './submitted-writes';
import { ItemKind, malformedPduKey, messageKey, recordOf } from './table-keys';
import { MappingCache } from './mapping-cache';
import { MAPPING_DELAY_MS, PendingMappings } from './pending-mappings';
import { TablePipe } from './table-pipe';
import type { CarrierEnvelope } from '../domain/envelopes';
import type { MessageRecord } from '../domain/message';

export type { ReceiptResult } from './receipt-writes';
export type { Submitted, SubmittedMessage } from './submitted-writes';
export type { StoredReceipt } from './delivery-items';

const DAY_SECONDS = 86_400;

export interface DeliveryStoreOptions {
  /** How long a write waits for others to share its request. @default 20 */
  lingerMs?: number;
  /** How batches of writes are sent (batch-writes.ts): PartiQL in AWS, item by item on emulators. @default 'partiql' */
  writes?: WriteMode;
  /** How long an SMSC-id mapping waits for its receipt before it is written (pending-mappings.ts); 0 writes it at once. @default 15000 */
  mappingDelayMs?: number;
  /** Keep the text after SUBMITTED (the config's retainText). @default false */
  retainText?: boolean;
}

export class DeliveryStore {
  private readonly pipe: TablePipe;
  private readonly submitted: SubmittedWrites;
  private readonly receipts: ReceiptWrites;
  private readonly pending: PendingMappings;

  constructor(
    private readonly tableName: string,
    private readonly retentionDays: number,
    /** A SUBMITTED message whose receipts are not all in by then is swept to UNKNOWN. */
    receiptTimeoutSeconds: number,
    private readonly client: DynamoDBDocumentClient = dynamo(),
    options: DeliveryStoreOptions = {},
  ) {
    const messages = new MessageStore(tableName, retentionDays, client);
    const items = new DeliveryItems(tableName, retentionDays, client, messages);
    const cache = new MappingCache();
    this.pipe = new TablePipe(tableName, client, batchWriter(options.writes ?? 'partiql', tableName, client), options.lingerMs);
    this.pending = new PendingMappings((carrierId, entries) => this.submitted.writeMappings(carrierId, entries), options.mappingDelayMs ?? MAPPING_DELAY_MS);
    this.submitted = new SubmittedWrites({ receiptTimeoutSeconds, retainText: options.retainText ?? false }, this.pipe, messages, items, cache, this.pending);
    this.receipts = new ReceiptWrites(this.pipe, messages, items, cache, this.pending);
  }

  /** The message records of a received group, by id: what is still ROUTED for which attempt (one coalesced consistent read). */
  async readRecords(ids: string[]): Promise<Map<string, MessageRecord>> {
    const items = await Promise.all(ids.map((id) => this.pipe.read(messageKey(id))));
    return new Map(items.flatMap((item) => (item ? [[String(item.id), recordOf(item)] as const] : [])));
  }

  /**
   * After every segment was accepted: records SUBMITTED for this attempt, over a cancel or an expiry
   * that came meanwhile (`replaced`: the message was sent). `applied` is false when the record is on
   * another attempt, or another submission of this one decided it; `settled` says when the
   * carrier-queue message may be deleted (its SMSC-id mappings are written, or need not be:
   * pending-mappings.ts).
   */
  recordSubmitted(message: SubmittedMessage): Promise<Submitted> {
    return this.submitted.record(message);
  }

  /**
   * Writes the SMSC-id mappings of a message found SUBMITTED for this attempt when its queue message
   * came back: the process that submitted it may have died with them in memory. `keys` are the
   * record's SMSC ids, normalised.
   */
  restoreMappings(envelope: CarrierEnvelope, keys: string[], record: Pick<MessageRecord, 'history' | 'submittedAt'>): Promise<void> {
    return this.submitted.restore(envelope, keys, { historyLength: record.history.length, submittedAt: record.submittedAt ?? record.history.at(-1)!.at });
  }

  /** Correlates a receipt by its normalised SMSC id and applies it, or holds it until the mapping exists. */
  applyReceipt(carrierId: string, key: string, receipt: Receipt): Promise<ReceiptResult> {
    return this.receipts.apply(carrierId, key, receipt);
  }

  /** Writes the pending mappings, sends what is waiting to share a request, and waits for every request in flight (shutdown). */
  async drain(): Promise<void> {
    await this.pending.drain();
    await this.pipe.drain();
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
          expiresAt: Math.floor(at.getTime() / 1000) + this.retentionDays * DAY_SECONDS,
        },
      }),
    );
  }
}
