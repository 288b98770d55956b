/**
 * A tenant's messages, newest first, from the `list` index (core/domain/message-list.ts):
 * one Query per shard for a page, `to` and `from` filtered in the index, then one
 * BatchGetItem for the records. A status filter is applied to the records, so a page may
 * hold fewer than `limit` messages while there are more: a page fills itself for at most
 * MAX_ROUNDS rounds of queries, then answers with what it has and a cursor.
 *
 * @example
 *   const list = new MessageList(tableName);
 *   const page = await list.list({ tenantId: 'acme', to: '+447700900123', limit: 50 });
 *   const next = page.cursor && (await list.list({ tenantId: 'acme', to: '+447700900123', limit: 50, cursor: page.cursor }));
 */
import { BatchGetCommand, QueryCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MessageRecord, MessageStatus } from '../domain/message';
import { allListShards, decodeListCursor, LIST_INDEX, encodeListCursor, mergeShardPages, type ListKey, type ShardPage, type ShardPosition } from '../domain/message-list';
import { dynamo } from './clients';
import { recordOf } from './table-keys';

/** Query rounds one page may take to fill itself past messages the status filter drops. */
const MAX_ROUNDS = 3;

export interface MessageListQuery {
  tenantId: string;
  /** E.164, as stored. */
  to?: string;
  from?: string;
  /** Any of these statuses. */
  status?: readonly MessageStatus[];
  /** ISO-8601 times (UTC, as toISOString gives them): created at or after `since`, before `until`. */
  since?: string;
  until?: string;
  limit: number;
  /** A cursor of a page before, as it came. */
  cursor?: string;
}

export interface MessageListPage {
  items: MessageRecord[];
  cursor?: string;
}

/** A cursor this store did not give, or not for this tenant. */
export class InvalidListCursor extends Error {
  override readonly name = 'InvalidListCursor';
}

type Indexed = ListKey & { to?: string; from?: string };

export class MessageList {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamo(),
  ) {}

  async list(q: MessageListQuery): Promise<MessageListPage> {
    const shards = allListShards(q.tenantId);
    let positions: ShardPosition[] = q.cursor === undefined ? shards.map(() => undefined) : (decodeListCursor(q.tenantId, q.cursor) ?? invalid());
    const items: MessageRecord[] = [];
    for (let round = 0; round < MAX_ROUNDS && items.length < q.limit && positions.some((p) => p !== 'done'); round++) {
      const want = q.limit - items.length;
      const pages = await Promise.all(shards.map((shard, i) => this.queryShard(shard, positions[i], want, q)));
      const merged = mergeShardPages(pages, positions, want);
      positions = merged.positions;
      const records = await this.records(merged.items);
      for (const key of merged.items) {
        const record = records.get(key.pk);
        // Gone meanwhile (retention), or not of the statuses asked for.
        if (record && (!q.status || q.status.includes(record.status))) items.push(record);
      }
    }
    const cursor = encodeListCursor(positions);
    return { items, ...(cursor !== undefined ? { cursor } : {}) };
  }

  private async queryShard(shard: string, position: ShardPosition, limit: number, q: MessageListQuery): Promise<ShardPage<Indexed>> {
    if (position === 'done') return { items: [] };
    // DynamoDB refuses a name or value that no expression uses.
    const names: Record<string, string> = { '#shard': 'listShard' };
    const values: Record<string, unknown> = { ':shard': shard };
    // listAt is `<createdAt>#<id>`: "<since>" sorts before every item created at since, "<until>" before every one created at until.
    let range = '';
    if (q.since !== undefined && q.until !== undefined) {
      range = ' AND #at BETWEEN :since AND :until';
      Object.assign(values, { ':since': q.since, ':until': q.until });
    } else if (q.since !== undefined) {
      range = ' AND #at >= :since';
      values[':since'] = q.since;
    } else if (q.until !== undefined) {
      range = ' AND #at < :until';
      values[':until'] = q.until;
    }
    if (range) names['#at'] = 'listAt';
    const filters: string[] = [];
    if (q.to !== undefined) {
      filters.push('#to = :to');
      names['#to'] = 'to';
      values[':to'] = q.to;
    }
    if (q.from !== undefined) {
      filters.push('#from = :from');
      names['#from'] = 'from';
      values[':from'] = q.from;
    }
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: LIST_INDEX,
        KeyConditionExpression: `#shard = :shard${range}`,
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: limit,
        ...(position ? { ExclusiveStartKey: { ...position } } : {}),
      }),
    );
    return { items: (out.Items ?? []) as Indexed[], ...(out.LastEvaluatedKey ? { lastKey: out.LastEvaluatedKey as ListKey } : {}) };
  }

  /** The records of these index items by pk, in one BatchGetItem (eventually consistent: a list may lag a write by a moment). */
  private async records(keys: readonly ListKey[]): Promise<Map<string, MessageRecord>> {
    const found = new Map<string, MessageRecord>();
    let pending: Record<string, unknown>[] | undefined = keys.map((k) => ({ pk: k.pk, sk: k.sk }));
    while (pending && pending.length > 0) {
      const out: BatchGetCommandOutput = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }));
      for (const item of out.Responses?.[this.tableName] ?? []) found.set(String(item.pk), recordOf(item));
      pending = out.UnprocessedKeys?.[this.tableName]?.Keys;
    }
    return found;
  }
}

function invalid(): never {
  throw new InvalidListCursor('not a cursor of this list');
}
