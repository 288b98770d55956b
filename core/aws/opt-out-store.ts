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
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OptOut, OptOutSource } from '../domain/opt-outs';
import { dynamo } from './clients';
import { isConditionalCheckFailed, ItemKind, optOutKey } from './table-keys';

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

  /** The opt-out in force for this number (and sender), or undefined. */
  async get(tenantId: string, number: string, sender?: string): Promise<OptOut | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: optOutKey(tenantId, number, sender), ConsistentRead: true }));
    return optOutOf(out.Item);
  }
}
