/**
 * Bind leases in the message table (core/domain/bind-leases.ts): one item per carrier bind
 * slot, beside the carrier's heartbeats.
 *
 *   bind lease (table-keys.ts bindLeaseKey)
 *     carrierId, slot, owner?, token, leaseUntil (epoch ms), acquiredAt (ISO), expiresAt (TTL, a day on)
 *
 * Every change is one conditional UpdateItem: an acquisition succeeds only on a free,
 * released or expired lease and adds one to the fencing token; a renewal or a release only
 * by the owner that holds that token. Reads are eventually consistent: a stale read costs
 * at most one failed conditional write, never a second holder.
 *
 * @example
 * const leases = new BindLeaseStore(tableName);
 * const got = await leases.acquire('sim-a', 0, taskId, 15_000, 1_000);
 * if (got) await leases.renew('sim-a', 0, taskId, got.token, 15_000);
 */
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AcquiredLease, LeaseState, LeaseStore } from '../domain/bind-leases';
import { dynamo } from './clients';
import { bindLeaseKey, bindLeasesOf, isConditionalCheckFailed, ItemKind } from './table-keys';

/** Lease items outlive their last write by a day (TTL), so a carrier's slots are not read forever after it is removed. */
const ITEM_TTL_SECONDS = 86_400;

/** Every attribute through a name placeholder: some (owner, token, slot) may be reserved words. */
const ATTRIBUTES = { '#owner': 'owner', '#until': 'leaseUntil', '#token': 'token', '#at': 'acquiredAt', '#kind': 'kind', '#carrier': 'carrierId', '#slot': 'slot', '#ttl': 'expiresAt' };

function stateOf(item: Record<string, unknown> | undefined): LeaseState | undefined {
  if (!item) return undefined;
  return {
    carrierId: String(item.carrierId),
    slot: Number(item.slot),
    owner: typeof item.owner === 'string' ? item.owner : undefined,
    token: Number(item.token ?? 0),
    expiresAtMs: Number(item.leaseUntil ?? 0),
  };
}

export class BindLeaseStore implements LeaseStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamo(),
    private readonly clock: () => number = Date.now,
  ) {}

  async peek(carrierId: string, slot: number): Promise<LeaseState | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: bindLeaseKey(carrierId, slot) }));
    return stateOf(out.Item);
  }

  async acquire(carrierId: string, slot: number, owner: string, ttlMs: number, skewMs: number): Promise<AcquiredLease | undefined> {
    const now = this.clock();
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: bindLeaseKey(carrierId, slot),
          UpdateExpression:
            'SET #owner = :owner, #until = :until, #token = if_not_exists(#token, :zero) + :one, #at = :at, #kind = :kind, #carrier = :carrier, #slot = :slot, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#owner) OR #until < :expiredBefore',
          ExpressionAttributeNames: ATTRIBUTES,
          ExpressionAttributeValues: {
            ':owner': owner,
            ':until': now + ttlMs,
            ':zero': 0,
            ':one': 1,
            ':at': new Date(now).toISOString(),
            ':kind': ItemKind.bindLease,
            ':carrier': carrierId,
            ':slot': slot,
            ':ttl': Math.floor(now / 1000) + ITEM_TTL_SECONDS,
            ':expiredBefore': now - skewMs,
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const before = stateOf(out.Attributes);
      const previousOwner = before?.owner;
      return { token: (before?.token ?? 0) + 1, previousOwner, takeover: previousOwner !== undefined && previousOwner !== owner };
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
  }

  async renew(carrierId: string, slot: number, owner: string, token: number, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: bindLeaseKey(carrierId, slot),
          UpdateExpression: 'SET #until = :until, #ttl = :ttl',
          ConditionExpression: '#owner = :owner AND #token = :token',
          ExpressionAttributeNames: { '#owner': 'owner', '#until': 'leaseUntil', '#ttl': 'expiresAt', '#token': 'token' },
          ExpressionAttributeValues: { ':until': now + ttlMs, ':ttl': Math.floor(now / 1000) + ITEM_TTL_SECONDS, ':owner': owner, ':token': token },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  async release(carrierId: string, slot: number, owner: string, token: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: bindLeaseKey(carrierId, slot),
          UpdateExpression: 'REMOVE #owner SET #until = :zero',
          ConditionExpression: '#owner = :owner AND #token = :token',
          ExpressionAttributeNames: { '#owner': 'owner', '#until': 'leaseUntil', '#token': 'token' },
          ExpressionAttributeValues: { ':zero': 0, ':owner': owner, ':token': token },
        }),
      );
    } catch (err) {
      // Not ours any more (taken over after it expired): nothing to give up.
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }

  async list(carrierId: string): Promise<LeaseState[]> {
    const { pk, skPrefix } = bindLeasesOf(carrierId);
    const out = await this.client.send(
      new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': pk, ':sk': skPrefix } }),
    );
    return (out.Items ?? []).flatMap((item) => {
      const state = stateOf(item);
      return state ? [state] : [];
    });
  }
}
