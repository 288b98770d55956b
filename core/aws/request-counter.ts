/**
 * Per-tenant request counts for the API's rate limit, one item per tenant and
 * one-second window in the message table (table-keys.ts requestCountKey):
 * requests (number), expiresAt (TTL).
 *
 * Counting is one conditional UpdateItem: ADD 1 unless the window already holds
 * `limit` requests, so concurrent API Lambdas share one exact count without a
 * read. The outbox's stream filter passes only message records and retry timers,
 * so these items never reach it.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RequestCounter } from '../api/messages-api';
import { dynamo } from './clients';
import { isConditionalCheckFailed, ItemKind, requestCountKey } from './table-keys';

/** Windows are kept a minute past their end (TTL deletes them later still); only the current one is ever written. */
const KEEP_SECONDS = 60;

export class DynamoRequestCounter implements RequestCounter {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamo(),
  ) {}

  async tryCount(tenantId: string, windowSecond: number, limit: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: requestCountKey(tenantId, windowSecond),
          UpdateExpression: 'ADD #requests :one SET #kind = :kind, #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#requests) OR #requests < :limit',
          ExpressionAttributeNames: { '#requests': 'requests', '#kind': 'kind', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':kind': ItemKind.requestCount, ':expiresAt': windowSecond + KEEP_SECONDS },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }
}
