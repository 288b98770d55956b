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
 *
 * Each complete message is then recorded once (`record`): one item per message under a
 * deterministic id (table-keys.ts inboundMessageKey), put only if it is not there, with the
 * retention TTL. A resent deliver_sm finds the item and records nothing: the stream INSERT of
 * that item is the one trigger of the message's webhook event and topic publication (outbox),
 * so a message is published once, and a crash after the put cannot lose its publication. The
 * `list` index (the messages' index, partition INBOX#<tenant>) lists a tenant's messages newest
 * first (GET /v1/inbound); unowned ones share the INBOX#(unowned) partition, kept and flagged.
 */
import { createHash } from 'node:crypto';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { singlePartIds } from '../domain/inbound-dedup';
import { LIST_INDEX } from '../domain/message-list';
import { dynamo } from './clients';
import { inboundClaimKey, inboundIdOfInboxKey, inboundMessageKey, inboundPartition, inboundPartKey, inboundPartsOf, inboxPartition, inboxSortKey, isConditionalCheckFailed, ItemKind } from './table-keys';

export interface InboundPart {
  carrierId: string;
  from: string;
  to: string;
  text: string;
  dataCoding: number;
  concat?: { reference: number; total: number; sequence: number };
}

export interface InboundMessage {
  /**
   * Stable for a concatenated message (derived from carrier, numbers, reference and when its first part came); for a
   * single part, derived from carrier, numbers, text and the arrival's time bucket (core/domain/inbound-dedup.ts).
   */
  id: string;
  carrierId: string;
  from: string;
  to: string;
  text: string;
  parts: number;
  receivedAt: string;
}

/** A complete message, with what settles whether it was recorded already, and what ends its reassembly. */
export interface CompleteInbound {
  message: InboundMessage;
  /** Single part: the same message's id in the previous time bucket, and the earliest arrival still in the window. */
  previous?: { id: string; since: number };
  confirm: () => Promise<void>;
  release: () => Promise<void>;
}

/** What a page of GET /v1/inbound asks for: `to` as its forms, `since` as an ISO time, `after` an inbox sort key. */
export interface InboundPageRequest {
  limit: number;
  after?: string;
  to?: readonly string[];
  from?: string;
  since?: string;
}

/** Queries one page may take when the filters skip many items; past them the page ends early, with a cursor. */
const MAX_QUERIES_PER_PAGE = 5;

/** A stored inbound message: the message, and the tenant that owns its destination (none: unowned, flagged). */
export type StoredInbound = InboundMessage & { tenantId?: string };

const CLAIM_STALE_MS = 60_000;
/** How far apart the parts of one message may arrive (Kannel's default is 30 minutes). */
export const REASSEMBLY_WINDOW_MS = 3_600_000;
const PARTS_TTL_SECONDS = 7 * 86_400;

export class InboundStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamo(),
    /** How long a recorded message is kept (the config's retentionDays, as message records). */
    private readonly retentionDays = 30,
  ) {}

  /**
   * Records a complete message once: `created` false, with the message as first recorded, when
   * it was already (a resend). At most one strongly consistent GetItem (single part: the
   * previous bucket) and one conditional PutItem.
   */
  async record(complete: Pick<CompleteInbound, 'message' | 'previous'>, tenantId: string | undefined): Promise<{ created: boolean; message: StoredInbound }> {
    const { message, previous } = complete;
    if (previous) {
      const earlier = await this.get(previous.id);
      if (earlier && Date.parse(earlier.receivedAt) >= previous.since) return { created: false, message: earlier };
    }
    const stored: StoredInbound = { ...message, ...(tenantId !== undefined ? { tenantId } : {}) };
    const expiresAt = Math.floor(Date.parse(message.receivedAt) / 1000) + this.retentionDays * 86_400;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...inboundMessageKey(message.id), kind: ItemKind.inboundMessage, ...stored, listShard: inboxPartition(tenantId), listAt: inboxSortKey(message.receivedAt, message.id), expiresAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true, message: stored };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const first = await this.get(message.id);
    if (!first) throw new Error(`inbound message ${message.id} was there for the put and gone for the read`);
    return { created: false, message: first };
  }

  /**
   * One page of a tenant's recorded messages, newest first, from the `list` index (eventually
   * consistent: a message shows there within a second of being recorded), then their items in one
   * BatchGetItem (the index holds only the keys, `to` and `from`). `to` matches any of its forms
   * (the SMSC's destination as written); `after` and `next` are index sort keys.
   */
  async list(tenantId: string, page: InboundPageRequest): Promise<{ inbound: StoredInbound[]; next?: string }> {
    const listShard = inboxPartition(tenantId);
    const filters: string[] = [];
    const values: Record<string, unknown> = { ':pk': listShard };
    const names: Record<string, string> = {};
    if (page.to && page.to.length > 0) {
      names['#to'] = 'to';
      filters.push(`#to IN (${page.to.map((_, i) => `:to${i}`).join(', ')})`);
      page.to.forEach((form, i) => (values[`:to${i}`] = form));
    }
    if (page.from !== undefined) {
      names['#from'] = 'from';
      filters.push('#from = :from');
      values[':from'] = page.from;
    }
    if (page.since !== undefined) values[':since'] = page.since;
    const keys: Record<string, unknown>[] = [];
    let after = page.after;
    for (let query = 0; query < MAX_QUERIES_PER_PAGE; query++) {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: LIST_INDEX,
          KeyConditionExpression: page.since !== undefined ? 'listShard = :pk AND listAt >= :since' : 'listShard = :pk',
          ...(filters.length > 0 ? { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: page.limit - keys.length,
          ...(after !== undefined ? { ExclusiveStartKey: { listShard, listAt: after, ...inboundMessageKey(inboundIdOfInboxKey(after)) } } : {}),
        }),
      );
      keys.push(...(out.Items ?? []).map((i) => ({ pk: i.pk, sk: i.sk })));
      after = typeof out.LastEvaluatedKey?.listAt === 'string' ? out.LastEvaluatedKey.listAt : undefined;
      if (after === undefined || keys.length >= page.limit) break;
    }
    const items = await this.items(keys);
    // In the index's order; one gone meanwhile (retention) is left out.
    const inbound = keys.flatMap((k) => items.get(String(k.pk)) ?? []);
    return { inbound, ...(after !== undefined ? { next: after } : {}) };
  }

  /** The inbound messages of these keys by pk, in one BatchGetItem (at most 100: a page). */
  private async items(keys: Record<string, unknown>[]): Promise<Map<string, StoredInbound>> {
    const found = new Map<string, StoredInbound>();
    let pending: Record<string, unknown>[] | undefined = keys;
    while (pending && pending.length > 0) {
      const out: BatchGetCommandOutput = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }));
      for (const item of out.Responses?.[this.tableName] ?? []) found.set(String(item.pk), storedInboundOf(item));
      pending = out.UnprocessedKeys?.[this.tableName]?.Keys;
    }
    return found;
  }

  /** A recorded message by id (strongly consistent), or undefined. */
  async get(id: string): Promise<StoredInbound | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: inboundMessageKey(id), ConsistentRead: true }));
    return out.Item ? storedInboundOf(out.Item) : undefined;
  }

  /**
   * Stores a part; returns the whole message when this part completed it and
   * this caller won the right to publish it (so it is published once).
   */
  async addPart(part: InboundPart, now = new Date()): Promise<CompleteInbound | undefined> {
    if (!part.concat || part.concat.total <= 1) {
      const { id, previousId, windowStart } = singlePartIds(part, now);
      return {
        message: { id, carrierId: part.carrierId, from: part.from, to: part.to, text: part.text, parts: 1, receivedAt: now.toISOString() },
        previous: { id: previousId, since: windowStart },
        confirm: async () => undefined,
        release: async () => undefined,
      };
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

/** A stored inbound message from its item: without the table's own attributes (keys, kind, index keys, TTL). */
export function storedInboundOf(item: Record<string, unknown>): StoredInbound {
  const { pk: _pk, sk: _sk, kind: _kind, listShard: _shard, listAt: _at, expiresAt: _exp, ...rest } = item;
  return rest as unknown as StoredInbound;
}
