/**
 * Inbound (MO) messages: parts of a concatenated message are stored as they
 * arrive, so reassembly survives a worker restart; the complete message is
 * published once. One partition per concatenated message (table-keys.ts
 * inboundPartition): a part item per part (its text, and when it was first
 * stored), and a claim item (who publishes, and when).
 *
 * A concatenation reference has 8 bits, so the same sender reuses it for a later
 * message to the same number: parts belong together only within
 * REASSEMBLY_WINDOW_MS of each other, and a publication older than that does not
 * stop the next message with the same reference. (TTL deletes items days late,
 * so the window is checked in every condition, not left to TTL.)
 */
import { createHash } from 'node:crypto';
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients';
import { inboundClaimKey, inboundPartition, inboundPartKey, inboundPartsOf, isConditionalCheckFailed, ItemKind } from './table-keys';

export interface InboundPart {
  carrierId: string;
  from: string;
  to: string;
  text: string;
  dataCoding: number;
  concat?: { reference: number; total: number; sequence: number };
}

export interface InboundMessage {
  /** Stable for a concatenated message (derived from carrier, numbers, reference and when its first part came), random for a single part. */
  id: string;
  carrierId: string;
  from: string;
  to: string;
  text: string;
  parts: number;
  receivedAt: string;
}

const CLAIM_STALE_MS = 60_000;
/** How far apart the parts of one message may arrive (Kannel's default is 30 minutes). */
export const REASSEMBLY_WINDOW_MS = 3_600_000;
const PARTS_TTL_SECONDS = 7 * 86_400;

export class InboundStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamo(),
  ) {}

  /**
   * Stores a part; returns the whole message when this part completed it and
   * this caller won the right to publish it (so it is published once).
   */
  async addPart(part: InboundPart, now = new Date()): Promise<{ message: InboundMessage; confirm: () => Promise<void>; release: () => Promise<void> } | undefined> {
    if (!part.concat || part.concat.total <= 1) {
      const id = createHash('sha256').update(`${part.carrierId}\n${part.from}\n${part.to}\n${now.toISOString()}\n${Math.random()}`).digest('hex').slice(0, 32);
      return { message: { id, carrierId: part.carrierId, from: part.from, to: part.to, text: part.text, parts: 1, receivedAt: now.toISOString() }, confirm: async () => undefined, release: async () => undefined };
    }
    const { reference, total, sequence } = part.concat;
    const pk = inboundPartition({ carrierId: part.carrierId, from: part.from, to: part.to, reference, total });
    const expiresAt = Math.floor(now.getTime() / 1000) + PARTS_TTL_SECONDS;
    const since = now.getTime() - REASSEMBLY_WINDOW_MS;
    try {
      // A resent part keeps the time it was first stored; a part left by an older message with this reference is replaced.
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...inboundPartKey(pk, sequence), kind: ItemKind.inboundPart, text: part.text, sequence, storedAt: now.getTime(), expiresAt },
          ConditionExpression: 'attribute_not_exists(pk) OR attribute_not_exists(storedAt) OR storedAt < :since',
          ExpressionAttributeValues: { ':since': since },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const partsOf = inboundPartsOf(pk);
    const parts = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        FilterExpression: 'storedAt >= :since',
        ExpressionAttributeValues: { ':pk': partsOf.pk, ':p': partsOf.skPrefix, ':since': since },
        ConsistentRead: true,
      }),
    );
    const items = (parts.Items ?? []).sort((a, b) => Number(a.sequence) - Number(b.sequence));
    if (items.length < total) return undefined;
    try {
      // Claim the publication; a claim left by a crashed worker is taken over after a minute.
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...inboundClaimKey(pk), kind: ItemKind.inboundClaim, state: 'claimed', claimedAt: now.getTime(), expiresAt },
          // Or the claim of an older message with this reference.
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claimed AND claimedAt < :stale) OR claimedAt < :since',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':stale': now.getTime() - CLAIM_STALE_MS, ':since': since },
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
    // Stable for this message (a takeover publishes the same id), new for a later one with the same reference.
    const firstStored = Math.min(...items.map((i) => Number(i.storedAt)));
    const id = createHash('sha256').update(`${pk}\n${firstStored}`).digest('hex').slice(0, 32);
    return {
      message: { id, carrierId: part.carrierId, from: part.from, to: part.to, text: items.map((i) => String(i.text)).join(''), parts: total, receivedAt: now.toISOString() },
      confirm: async () => {
        await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: inboundClaimKey(pk), UpdateExpression: 'SET #state = :p', ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':p': 'published' } }));
      },
      release: async () => {
        await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: inboundClaimKey(pk), UpdateExpression: 'SET claimedAt = :zero', ExpressionAttributeValues: { ':zero': 0 } }));
      },
    };
  }
}
