/**
 * Inbound (MO) messages: parts of a concatenated message are stored as they
 * arrive, so reassembly survives a worker restart; the complete message is
 * published once.
 *
 *   MO#<carrierId>#<from>#<to>#<reference>#<total> / PART#<sequence>   text of one part
 *   MO#<carrierId>#<from>#<to>#<reference>#<total> / PUBLISHED         claim: who publishes, and when
 */
import { createHash } from 'node:crypto';
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients';

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
    const pk = `MO#${part.carrierId}#${part.from}#${part.to}#${reference}#${total}`;
    const expiresAt = Math.floor(now.getTime() / 1000) + PARTS_TTL_SECONDS;
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { pk, sk: `PART#${String(sequence).padStart(3, '0')}`, kind: 'inbound-part', text: part.text, sequence, expiresAt } }));
    const parts = await this.client.send(
      new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': pk, ':p': 'PART#' }, ConsistentRead: true }),
    );
    const items = (parts.Items ?? []).sort((a, b) => Number(a.sequence) - Number(b.sequence));
    if (items.length < total) return undefined;
    try {
      // Claim the publication; a claim left by a crashed worker is taken over after a minute.
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk, sk: 'PUBLISHED', kind: 'inbound-claim', state: 'claimed', claimedAt: now.getTime(), expiresAt },
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claimed AND claimedAt < :stale)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':stale': now.getTime() - CLAIM_STALE_MS },
        }),
      );
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw err;
    }
    const id = createHash('sha256').update(pk).digest('hex').slice(0, 32);
    return {
      message: { id, carrierId: part.carrierId, from: part.from, to: part.to, text: items.map((i) => String(i.text)).join(''), parts: total, receivedAt: now.toISOString() },
      confirm: async () => {
        await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: { pk, sk: 'PUBLISHED' }, UpdateExpression: 'SET #state = :p', ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':p': 'published' } }));
      },
      release: async () => {
        await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: { pk, sk: 'PUBLISHED' }, UpdateExpression: 'SET claimedAt = :zero', ExpressionAttributeValues: { ':zero': 0 } }));
      },
    };
  }
}
