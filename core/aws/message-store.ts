/**
 * The message table, reached through intention-revealing methods. One table:
 *   MSG#<id> / MSG            the message record (status, history, attempt, …)
 * Later item kinds (SMSC-id mappings, retry timers, heartbeats, request counts) share it.
 * Every status change is a conditional write built from PREDECESSORS, so late or
 * duplicate events never move a message backwards.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type BatchGetCommandOutput, DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dueShard } from '../domain/deadlines';
import { isFinal, PREDECESSORS, type MessageRecord, type MessageStatus, type StatusChange } from '../domain/message';
import { dynamo } from './clients';

export const messageKey = (id: string) => ({ pk: `MSG#${id}`, sk: 'MSG' });

const DAY_SECONDS = 86_400;

export interface TransitionOptions {
  reason?: string;
  carrierId?: string;
  /** Only apply when the record's attempt equals this (guards per-attempt steps). */
  expectedAttempt?: number;
  /** Set the attempt number with the change (ROUTED starts attempt n+1). */
  attempt?: number;
  /** Further attributes to set with the change (e.g. SMSC ids). */
  set?: Record<string, unknown>;
  now?: Date;
}

export type TransitionResult = { applied: true; record: MessageRecord } | { applied: false; current: MessageRecord | undefined };

export class MessageStore {
  constructor(
    private readonly tableName: string,
    private readonly retentionDays: number,
    private readonly client: DynamoDBDocumentClient = dynamo(),
  ) {}

  private expiresAt(from: Date | string): number {
    return Math.floor(new Date(from).getTime() / 1000) + this.retentionDays * DAY_SECONDS;
  }

  /**
   * Stores a new message (status ACCEPTED). Idempotent by id: when a record with
   * this id exists, nothing is written and the existing record is returned.
   */
  async create(record: MessageRecord): Promise<{ created: true } | { created: false; existing: MessageRecord }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          // Retention counts from the end of validity, so even a message that never
          // reached a final state is cleaned up eventually; final states reset it.
          // In the due index until final: the sweeper expires it if validity runs out first.
          Item: { ...messageKey(record.id), kind: 'message', ...record, expiresAt: this.expiresAt(record.validUntil), dueShard: dueShard(record.id), dueAt: record.validUntil },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException) && (err as Error).name !== 'ConditionalCheckFailedException') throw err;
      const existing = await this.get(record.id);
      if (!existing) throw new Error(`message ${record.id} exists but cannot be read`);
      return { created: false, existing };
    }
  }

  async get(id: string): Promise<MessageRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: messageKey(id), ConsistentRead: true }));
    return out.Item ? toRecord(out.Item) : undefined;
  }

  async getMany(ids: string[]): Promise<MessageRecord[]> {
    const found: MessageRecord[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = ids.slice(i, i + 100).map(messageKey);
      while (keys && keys.length > 0) {
        const out: BatchGetCommandOutput = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
        found.push(...(out.Responses?.[this.tableName] ?? []).map(toRecord));
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  async cancel(id: string): Promise<{ applied: boolean; current: MessageRecord | undefined }> {
    const result = await this.transition(id, 'CANCELED', { reason: 'canceled_by_client' });
    return result.applied ? { applied: true, current: result.record } : { applied: false, current: result.current };
  }

  /** Moves a message to `to` if its current status allows it (and the attempt matches, when given). */
  async transition(id: string, to: MessageStatus, options: TransitionOptions = {}): Promise<TransitionResult> {
    const now = (options.now ?? new Date()).toISOString();
    const change: StatusChange = {
      status: to,
      at: now,
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
      ...(options.carrierId !== undefined ? { carrierId: options.carrierId } : {}),
      ...(options.attempt !== undefined ? { attempt: options.attempt } : {}),
    };
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':to': to, ':now': now, ':change': [change] };
    const sets = ['#status = :to', 'updatedAt = :now', 'history = list_append(history, :change)'];
    const setAttr = (name: string, value: unknown) => {
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      sets.push(`#${name} = :${name}`);
    };
    if (options.reason !== undefined) setAttr('reason', options.reason);
    if (options.carrierId !== undefined) setAttr('carrierId', options.carrierId);
    if (options.attempt !== undefined) setAttr('attempt', options.attempt);
    for (const [k, v] of Object.entries(options.set ?? {})) setAttr(k, v);
    const removes: string[] = [];
    if (isFinal(to)) {
      setAttr('expiresAt', this.expiresAt(now));
      removes.push('dueShard', 'dueAt');
    }

    const predecessors = PREDECESSORS[to];
    const placeholders = predecessors.map((_, i) => `:from${i}`);
    predecessors.forEach((s, i) => (values[`:from${i}`] = s));
    let condition = `attribute_exists(pk) AND #status IN (${placeholders.join(', ')})`;
    if (options.expectedAttempt !== undefined) {
      names['#attemptGuard'] = 'attempt';
      values[':expectedAttempt'] = options.expectedAttempt;
      condition += ' AND #attemptGuard = :expectedAttempt';
    }
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: messageKey(id),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { applied: true, record: toRecord(out.Attributes ?? {}) };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException) && (err as Error).name !== 'ConditionalCheckFailedException') throw err;
      return { applied: false, current: await this.get(id) };
    }
  }
}

export interface RetryTimer {
  messageId: string;
  nextAttempt: number;
  dueAt: Date;
  /** What the ingest envelope needs to route the next attempt. */
  tenantId: string;
  to: string;
  country?: string;
  from?: string;
  type: string;
  validUntil: string;
}

export const timerKey = (messageId: string, nextAttempt: number) => ({ pk: `TIMER#${messageId}`, sk: String(nextAttempt) });

/**
 * RETRYING and its timer in one transaction. Two paths bring the message back,
 * both ending in the FIFO ingest queue with the same deduplication id: the
 * timer's TTL deletion (its REMOVE on the stream), and the sweeper, which finds
 * the message itself overdue in the due index (its dueAt is the next attempt).
 */
export async function scheduleRetry(
  client: DynamoDBDocumentClient,
  tableName: string,
  timer: RetryTimer,
  currentAttempt: number,
  reason: string,
  carrierId: string | undefined,
  now = new Date(),
): Promise<boolean> {
  const at = now.toISOString();
  const change: StatusChange = { status: 'RETRYING', at, reason, attempt: currentAttempt, ...(carrierId ? { carrierId } : {}) };
  const dueAt = timer.dueAt.toISOString();
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: messageKey(timer.messageId),
              // Its deadline becomes the next attempt: the sweeper brings it back even if the timer is gone.
              UpdateExpression: 'SET #status = :retrying, updatedAt = :now, history = list_append(history, :change), reason = :reason, nextAttemptAt = :due, dueAt = :due',
              ConditionExpression: '#status IN (:routed, :submitted) AND attempt = :attempt',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':retrying': 'RETRYING', ':now': at, ':change': [change], ':reason': reason, ':due': dueAt, ':routed': 'ROUTED', ':submitted': 'SUBMITTED', ':attempt': currentAttempt },
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: {
                ...timerKey(timer.messageId, timer.nextAttempt),
                kind: 'retry-timer',
                ...timer,
                dueAt,
                // DynamoDB deletes it at its due time (minutes to hours late) and the stream REMOVE
                // re-enqueues the attempt; the sweeper, working from the message's own deadline, does not wait for that.
                expiresAt: Math.floor(timer.dueAt.getTime() / 1000),
              },
            },
          },
        ],
      }),
    );
    return true;
  } catch (err) {
    if ((err as Error).name === 'TransactionCanceledException') return false;
    throw err;
  }
}

/** Strips the table's own attributes from an item. */
export function toRecord(item: Record<string, unknown>): MessageRecord {
  const { pk: _pk, sk: _sk, kind: _kind, expiresAt: _exp, dueShard: _shard, dueAt: _due, ...rest } = item;
  return rest as unknown as MessageRecord;
}
