/**
 * The sweeper: every minute, everything in the due index whose time has come.
 * - a retry timer: enqueue its attempt, then delete it (DynamoDB's own TTL
 *   deletion can lag by hours; either removal re-enqueues through the stream
 *   too, and the FIFO ingest queue drops the duplicate);
 * - an open message past its validity: EXPIRED;
 * - a SUBMITTED message whose receipts are overdue: UNKNOWN.
 * Every action is a conditional write, so a sweep that overlaps another, or a
 * worker, changes nothing twice.
 */
import { DeleteCommand, GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { allDueShards } from '../domain/deadlines';
import { timerEnvelope } from '../domain/outbox';
import type { IngestQueue } from './queues';
import type { MessageStore } from './message-store';

export interface SweepResult {
  timers: number;
  expired: number;
  unknown: number;
  skipped: number;
}

export class Sweeper {
  constructor(
    private readonly tableName: string,
    private readonly indexName: string,
    private readonly client: DynamoDBDocumentClient,
    private readonly messages: Pick<MessageStore, 'transition'>,
    private readonly ingest: Pick<IngestQueue, 'enqueue'>,
    private readonly log: (event: string, data: Record<string, unknown>) => void = () => undefined,
  ) {}

  async sweep(now = new Date(), maxPerShard = 500): Promise<SweepResult> {
    const result: SweepResult = { timers: 0, expired: 0, unknown: 0, skipped: 0 };
    await Promise.all(allDueShards().map((shard) => this.sweepShard(shard, now, maxPerShard, result)));
    return result;
  }

  private async sweepShard(shard: string, now: Date, max: number, result: SweepResult): Promise<void> {
    let startKey: Record<string, unknown> | undefined;
    let seen = 0;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: this.indexName,
          KeyConditionExpression: 'dueShard = :shard AND dueAt <= :now',
          ExpressionAttributeValues: { ':shard': shard, ':now': now.toISOString() },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          Limit: 100,
        }),
      );
      for (const item of page.Items ?? []) {
        seen++;
        await this.act(item, result);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && seen < max);
  }

  private async act(item: Record<string, unknown>, result: SweepResult): Promise<void> {
    if (item.kind === 'retry-timer') {
      const key = { pk: String(item.pk), sk: String(item.sk) };
      const timer = (await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }))).Item;
      if (!timer) return; // removed meanwhile (TTL): the stream re-enqueued it
      await this.ingest.enqueue(timerEnvelope(timer));
      try {
        await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key, ConditionExpression: 'attribute_exists(pk)' }));
      } catch (err) {
        if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      }
      result.timers++;
      this.log('RETRY_DUE', { messageId: timer.messageId, attempt: timer.nextAttempt });
      return;
    }
    if (item.kind !== 'message') return;
    const id = String(item.pk).slice('MSG#'.length);
    if (item.status === 'SUBMITTED') {
      const r = await this.messages.transition(id, 'UNKNOWN', { reason: 'receipt_timeout' });
      if (r.applied) {
        result.unknown++;
        this.log('RECEIPT_TIMEOUT', { messageId: id });
      } else result.skipped++;
      return;
    }
    const r = await this.messages.transition(id, 'EXPIRED', { reason: 'validity_elapsed' });
    if (r.applied) {
      result.expired++;
      this.log('MESSAGE_EXPIRED', { messageId: id });
    } else result.skipped++;
  }
}
