/**
 * Inbound (MO) messages: parts of a concatenated message are stored as they
 * arrive, so reassembly survives a worker restart; the complete message is
 * published once. One partition per concatenated message (table-keys.ts
 * inboundPartition): a part item per part (its text), and a claim item (who
 * publishes, and when).
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
  /** Stable for a concatenated message (derived from carrier, numbers, reference), random for a single part. */
  id: string;
  carrierId: string;
  from: string;
  to: string;
  text: string;
  parts: number;
  receivedAt: string;
}

const CLAIM_STALE_MS = 60_000;
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
  async addPart(part: InboundPart): Promise<{ message: InboundMessage; confirm: () => Promise<void>; release: () => Promise<void> } | undefined> {
    const now = new Date();
    if (!part.concat || part.concat.total <= 1) {
      const id = createHash('sha256').update(`${part.carrierId}\n${part.from}\n${part.to}\n${now.toISOString()}\n${Math.random()}`).digest('hex').slice(0, 32);
      return { message: { id, carrierId: part.carrierId, from: part.from, to: part.to, text: part.text, parts: 1, receivedAt: now.toISOString() }, confirm: async () => undefined, release: async () => undefined };
    }
    const { reference, total, sequence } = part.concat;
    const pk = inboundPartition({ carrierId: part.carrierId, from: part.from, to: part.to, reference, total });
    const expiresAt = Math.floor(now.getTime() / 1000) + PARTS_TTL_SECONDS;
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...inboundPartKey(pk, sequence), kind: ItemKind.inboundPart, text: part.text, sequence, expiresAt } }));
    const partsOf = inboundPartsOf(pk);
    const parts = await this.client.send(
      new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': partsOf.pk, ':p': partsOf.skPrefix }, ConsistentRead: true }),
    );
    const items = (parts.Items ?? []).sort((a, b) => Number(a.sequence) - Number(b.sequence));
    if (items.length < total) return undefined;
    try {
      // Claim the publication; a claim left by a crashed worker is taken over after a minute.
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...inboundClaimKey(pk), kind: ItemKind.inboundClaim, state: 'claimed', claimedAt: now.getTime(), expiresAt },
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claimed AND claimedAt < :stale)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':stale': now.getTime() - CLAIM_STALE_MS },
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
    const id = createHash('sha256').update(pk).digest('hex').slice(0, 32);
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
