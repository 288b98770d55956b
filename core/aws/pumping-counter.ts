/**
 * The SMS-pumping window counts (core/domain/pumping.ts) in the message table, one item per
 * tenant, hour and country or prefix (table-keys.ts pumpingCountKey): count (number), kind,
 * expiresAt (TTL).
 *
 * Counting is the request counter's conditional UpdateItem: ADD n unless the count would pass
 * the limit, so concurrent API Lambdas share one exact count without a read. Only when a batch's
 * n do not all fit does it read the count (strongly consistent) and take the room left, with the
 * same condition; a concurrent writer that took it first makes it read again, at most
 * WINDOW.maxAttempts times, then it takes none. The outbox's stream filter passes only message records
 * and retry timers, so these items never reach it.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PumpingCounter, PumpingWindow } from '../domain/pumping';
import { dynamo } from './clients';
import { isConditionalCheckFailed, ItemKind, pumpingCountKey } from './table-keys';

/**
 * A window is kept an hour past its end (TTL deletes it later still; only the current one is ever
 * written), and a batch reads a full window at most this many times for the room left.
 */
const WINDOW = { keepSeconds: 3600, maxAttempts: 3 } as const;

export class DynamoPumpingCounter implements PumpingCounter {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamo(),
  ) {}

  async take(window: PumpingWindow, wanted: number, limit: number): Promise<number> {
    let n = Math.min(wanted, limit);
    for (let attempt = 1; n > 0; attempt++) {
      if (await this.tryAdd(window, n, limit)) return n;
      // One message that does not fit: the window is full, no need to read it.
      if (attempt === WINDOW.maxAttempts || n === 1) return 0;
      n = Math.min(n, limit - (await this.count(window)));
    }
    return 0;
  }

  async release(window: PumpingWindow, count: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.key(window),
        UpdateExpression: 'ADD #count :n',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':n': -count },
      }),
    );
  }

  private key(window: PumpingWindow) {
    return pumpingCountKey(window.tenantId, window.epochHour, window.scope);
  }

  /** ADD n unless the count would pass `limit`; false when it would. */
  private async tryAdd(window: PumpingWindow, n: number, limit: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(window),
          UpdateExpression: 'ADD #count :n SET #kind = :kind, #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#count) OR #count <= :room',
          ExpressionAttributeNames: { '#count': 'count', '#kind': 'kind', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':n': n, ':room': limit - n, ':kind': ItemKind.pumpingCount, ':expiresAt': (window.epochHour + 1) * 3600 + WINDOW.keepSeconds },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  private async count(window: PumpingWindow): Promise<number> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(window), ConsistentRead: true, ProjectionExpression: '#count', ExpressionAttributeNames: { '#count': 'count' } }));
    return typeof Item?.count === 'number' ? Item.count : 0;
  }
}
