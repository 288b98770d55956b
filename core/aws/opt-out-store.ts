/**
 * Opt-outs in the message table, one item per tenant and number (and sender, for
 * `optOut.scope: sender`): OPTOUT#<tenant> / <number>[#<sender>] (table-keys.ts optOutKey).
 *
 * An item is kept when the opt-out is removed, with `state: removed` and `removedAt`, so the
 * removal is recorded; a later STOP turns it back. Each change of `state` is one conditional
 * UpdateItem, so a repeated STOP or a repeated removal writes nothing and says so: the table
 * stream then carries exactly one change per opt-out or removal (the outbox's opt_out events).
 *
 * Attributes: kind, number, sender?, state (opted-out | removed), optedOutAt, source, keyword?,
 * removedAt?, updatedAt.
 */
import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OptOut, OptOutSource } from '../domain/opt-outs';
import { dynamo } from './clients';
import { isConditionalCheckFailed, ItemKind, optOutKey, optOutsOf } from './table-keys';

/** BatchGetItem's limit. */
const MAX_KEYS_PER_BATCH_GET = 100;
/** Query requests one list page may take to fill itself past removed items. */
const MAX_QUERIES_PER_PAGE = 5;

export const OPTED_OUT = 'opted-out';
export const REMOVED = 'removed';

/** An opt-out from its item, or undefined when the item records a removal. */
export function optOutOf(item: Record<string, unknown> | undefined): OptOut | undefined {
  if (!item || item.state !== OPTED_OUT) return undefined;
  return {
    number: String(item.number),
    ...(typeof item.sender === 'string' ? { sender: item.sender } : {}),
    optedOutAt: String(item.optedOutAt),
    source: item.source as OptOutSource,
    ...(typeof item.keyword === 'string' ? { keyword: item.keyword } : {}),
  };
}

export class OptOutStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamo(),
  ) {}

  /** Records an opt-out. `created: false` when the number was opted out already (nothing written; the first opt-out stands). */
  async optOut(tenantId: string, o: { number: string; sender?: string; source: OptOutSource; keyword?: string; at: Date }): Promise<{ created: boolean }> {
    const names: Record<string, string> = { '#kind': 'kind', '#number': 'number', '#state': 'state', '#optedOutAt': 'optedOutAt', '#source': 'source', '#updatedAt': 'updatedAt', '#keyword': 'keyword', '#removedAt': 'removedAt' };
    const values: Record<string, unknown> = { ':kind': ItemKind.optOut, ':number': o.number, ':out': OPTED_OUT, ':at': o.at.toISOString(), ':source': o.source };
    const sets = ['#kind = :kind', '#number = :number', '#state = :out', '#optedOutAt = :at', '#source = :source', '#updatedAt = :at'];
    if (o.sender !== undefined) {
      names['#sender'] = 'sender';
      values[':sender'] = o.sender;
      sets.push('#sender = :sender');
    }
    if (o.keyword !== undefined) {
      values[':keyword'] = o.keyword;
      sets.push('#keyword = :keyword');
    }
    const remove = o.keyword === undefined ? ['#keyword', '#removedAt'] : ['#removedAt'];
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: optOutKey(tenantId, o.number, o.sender),
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${remove.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(#state) OR #state <> :out',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return { created: true };
    } catch (err) {
      if (isConditionalCheckFailed(err)) return { created: false };
      throw err;
    }
  }

  /** Removes an opt-out, recording when. `removed: false` when there was none in force (nothing written). */
  async remove(tenantId: string, o: { number: string; sender?: string; at: Date }): Promise<{ removed: boolean }> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: optOutKey(tenantId, o.number, o.sender),
          UpdateExpression: 'SET #state = :removed, #removedAt = :at, #updatedAt = :at',
          ConditionExpression: '#state = :out',
          ExpressionAttributeNames: { '#state': 'state', '#removedAt': 'removedAt', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':removed': REMOVED, ':out': OPTED_OUT, ':at': o.at.toISOString() },
        }),
      );
      return { removed: true };
    } catch (err) {
      if (isConditionalCheckFailed(err)) return { removed: false };
      throw err;
    }
  }

  /**
   * The opt-outs in force among these numbers (and senders): one strongly consistent GetItem for
   * one key, else BatchGetItem (100 keys a request, in parallel; unprocessed keys asked again).
   */
  async inForce(tenantId: string, keys: readonly { number: string; sender?: string }[]): Promise<OptOut[]> {
    const distinct = [...new Map(keys.map((k) => [optOutKey(tenantId, k.number, k.sender).sk, k])).values()];
    if (distinct.length === 0) return [];
    if (distinct.length === 1) {
      const only = await this.get(tenantId, distinct[0]!.number, distinct[0]!.sender);
      return only ? [only] : [];
    }
    const chunks: (typeof distinct)[] = [];
    for (let i = 0; i < distinct.length; i += MAX_KEYS_PER_BATCH_GET) chunks.push(distinct.slice(i, i + MAX_KEYS_PER_BATCH_GET));
    const found = await Promise.all(chunks.map((chunk) => this.batchGet(chunk.map((k) => optOutKey(tenantId, k.number, k.sender)))));
    return found.flat().flatMap((item) => optOutOf(item) ?? []);
  }

  private async batchGet(keys: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let todo: Record<string, unknown>[] | undefined = keys;
    while (todo && todo.length > 0) {
      const out: BatchGetCommandOutput = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: todo, ConsistentRead: true } } }));
      items.push(...(out.Responses?.[this.tableName] ?? []));
      todo = out.UnprocessedKeys?.[this.tableName]?.Keys;
    }
    return items;
  }

  /**
   * One page of the tenant's opt-outs in force, in number order (then sender), removed ones left
   * out. `after` is the sort key the previous page ended at; `next` is set while more may follow
   * (a page can hold fewer than `limit` when it skipped many removed items).
   */
  async list(tenantId: string, page: { limit: number; after?: string }): Promise<{ optOuts: OptOut[]; next?: string }> {
    const optOuts: OptOut[] = [];
    let after = page.after;
    for (let query = 0; query < MAX_QUERIES_PER_PAGE; query++) {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: '#state = :out',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':pk': optOutsOf(tenantId).pk, ':out': OPTED_OUT },
          Limit: page.limit - optOuts.length,
          ...(after !== undefined ? { ExclusiveStartKey: { pk: optOutsOf(tenantId).pk, sk: after } } : {}),
        }),
      );
      optOuts.push(...(out.Items ?? []).flatMap((item) => optOutOf(item) ?? []));
      after = typeof out.LastEvaluatedKey?.sk === 'string' ? out.LastEvaluatedKey.sk : undefined;
      if (after === undefined || optOuts.length >= page.limit) break;
    }
    return { optOuts, ...(after !== undefined ? { next: after } : {}) };
  }

  /** The opt-out in force for this number (and sender), or undefined. */
  async get(tenantId: string, number: string, sender?: string): Promise<OptOut | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: optOutKey(tenantId, number, sender), ConsistentRead: true }));
    return optOutOf(out.Item);
  }
}
